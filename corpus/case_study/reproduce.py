#!/usr/bin/env python3
"""Reproduce the DrivingNet case study end to end (issue 7), on CPU.

    python corpus/case_study/reproduce.py            # full form (benchmark, a few minutes)
    python corpus/case_study/reproduce.py --quick    # CI form (fewer steps and examples)
    python corpus/case_study/reproduce.py --auto-only [--check-auto]   # no TF/torch: stage 1/3 only

1. ``migrate tf1-to-tf2 --unsafe-fixes --write`` on a copy of ``tf1/`` -> ``tf2_auto/``
   (+ ``tf2_auto/migrate-report.json``: rules fired, manual items, effort).
2. The person's finishing edits: ``tf2/`` is checked in (written by hand from the tool
   output); the script diffs ``tf2_auto/`` -> ``tf2/`` for the write-up.
3. ``migrate tf2-to-torch --unsafe-fixes --write`` on a copy of ``tf2/`` -> ``torch_auto/``;
   ``torch/`` is the finished PyTorch version, diffed the same way.
   Every manual item the tools report must have an entry in ``manual/resolutions.json``
   (what the person did about it), else the script fails.
4. Train TF1 (``tf1/train.py``) for N steps; carry the checkpoint to TF2 (the checker's
   layout-aware conversion into the Keras model) and to PyTorch (``migrate convert-weights``).
5. Equivalence: ``migrate check`` (random weights and inputs, per layer, a training step)
   TF1 vs TF2, TF2 vs PyTorch, TF1 vs PyTorch; and the same comparison with the trained
   checkpoint on the real evaluation batch (per head, per layer, one training step).
6. Continue training the three versions from the same checkpoint on the same data; plot
   the loss curves and the per-layer differences.
7. Time every stage and CPU inference of the three versions.
8. Write ``docs/case-study.md`` and ``docs/case-study/*.png`` (every number from this run).

Stages 1 and 3 import neither TensorFlow nor PyTorch (``--auto-only``).
"""
from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MANUAL = HERE / 'manual'
HEADS = ('lane_logits', 'class_logits', 'boxes', 'steering')
LOSS_KEYS = ('lane', 'class', 'box', 'steer', 'reg', 'total')
# (pack, input dir, tool output dir, finished dir)
STAGES = (('tf1-to-tf2', 'tf1', 'tf2_auto', 'tf2'), ('tf2-to-torch', 'tf2', 'torch_auto', 'torch'))
MAPPINGS = {('tf1', 'tf2'): MANUAL / 'tf1_tf2_mapping.json',
            ('tf2', 'torch'): MANUAL / 'tf2_torch_mapping.json',
            ('tf1', 'torch'): MANUAL / 'tf1_torch_mapping.json'}
SPECS = {v: f'{HERE / v / "model.py"}:build_model' for v in ('tf1', 'tf2', 'torch')}
LABEL = {'tf1': 'TF1', 'tf2': 'TF2', 'torch': 'PyTorch'}
PAIRS = (('tf1', 'tf2'), ('tf2', 'torch'), ('tf1', 'torch'))
TF_ENV = {'TF_CPP_MIN_LOG_LEVEL': '3', 'CUDA_VISIBLE_DEVICES': ''}


class ReproduceError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f'[reproduce] {msg}', file=sys.stderr, flush=True)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **TF_ENV, **extra)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(ROOT), env.get('PYTHONPATH', '')]))
    return env


# ============================================================== stages 1-3: the tools

def run_tool(pack: str, src: str) -> tuple[dict[str, str], dict]:
    """Run ``migrate <pack> --unsafe-fixes --write`` on a copy of ``src``: (files, report)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / src
        work.mkdir()
        for p in sorted((HERE / src).glob('*.py')):
            shutil.copy(p, work / p.name)
        report = Path(tmp) / 'report.json'
        cmd = [sys.executable, '-m', 'migrate', pack, '--unsafe-fixes', '--write', '--no-progress',
               '-j', '1', '--report', str(report), src]
        proc = subprocess.run(cmd, cwd=tmp, env=_env(), capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode not in (0, 1) or not report.exists():
            raise ReproduceError(f'{" ".join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}')
        files = {p.name: p.read_text(encoding='utf-8') for p in sorted(work.glob('*.py'))}
        return files, reduce_report(json.loads(report.read_text(encoding='utf-8')), pack)


def subject(message: str) -> str:
    """The API a finding is about: the first `quoted` name, a ``name(...)`` or a dotted name."""
    for pat in (r'`([^`]+)`', r'([A-Za-z_][\w.]*)\(\.\.\.\)', r'([A-Za-z_]\w*(?:\.\w+)+)'):
        m = re.search(pat, message)
        if m:
            return m.group(1)
    return message.split(':')[0][:60]


def reduce_report(report: dict, pack: str) -> dict:
    """The deterministic part of a migrate-report/v1 (no times, no paths outside the copy)."""
    findings = []
    for f in report.get('results', []):
        findings.append({
            'file': Path(f['path']).name, 'line': f['range']['start']['line'], 'rule': f['rule_id'],
            'status': f['status'], 'effort_points': f.get('effort_points', 0),
            'subject': subject(f['message']), 'message': f['message'],
        })
    findings.sort(key=lambda f: (f['file'], f['line'], f['rule'], f['message']))
    s = report['summary']
    return {
        'schema': 'case-study-report/v1', 'pack': pack,
        'summary': {k: s[k] for k in ('files_scanned', 'files_changed', 'findings_by_status',
                                        'story_points_total', 'story_points_by_level') if k in s},
        'rules': sorted({(r['id'], r['name']) for r in report.get('rules', [])}),
        'findings': findings,
    }


def auto_outputs() -> dict[str, dict[str, str]]:
    """What stages 1 and 3 produce now: {auto dir: {file name: text}} (no TF/torch import)."""
    out = {}
    for pack, src, auto, _ in STAGES:
        files, rep = run_tool(pack, src)
        files['migrate-report.json'] = json.dumps(rep, indent=1, sort_keys=True) + '\n'
        out[auto] = files
    return out


def write_auto(outputs: dict[str, dict[str, str]]) -> None:
    for auto, files in outputs.items():
        d = HERE / auto
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
        for name, text in files.items():
            (d / name).write_text(text, encoding='utf-8')


def stale_auto(outputs: dict[str, dict[str, str]]) -> list[str]:
    """Checked-in tool outputs that differ from what the tools produce now."""
    stale = []
    for auto, files in outputs.items():
        d = HERE / auto
        have = {p.name for p in d.glob('*')} if d.exists() else set()
        for name in sorted(set(files) | have):
            p = d / name
            if name not in files or not p.exists() or p.read_text(encoding='utf-8') != files[name]:
                stale.append(f'{auto}/{name}')
    return stale


def load_resolutions() -> dict[str, dict[str, str]]:
    return json.loads((MANUAL / 'resolutions.json').read_text(encoding='utf-8'))


def manual_items(report: dict) -> list[dict]:
    """Manual findings grouped by (file, rule, subject): key, lines, effort, message."""
    groups: dict[str, dict] = {}
    for f in report['findings']:
        if f['status'] != 'manual':
            continue
        key = f"{f['file']}:{f['rule']}:{f['subject']}"
        g = groups.setdefault(key, {'key': key, 'file': f['file'], 'rule': f['rule'],
                                    'subject': f['subject'], 'lines': [], 'effort_points': 0,
                                    'message': f['message']})
        g['lines'].append(f['line'])
        g['effort_points'] += f['effort_points']
    return list(groups.values())


def resolve(items: list[dict], table: dict[str, str]) -> list[dict]:
    """Attach each manual item's resolution (patterns: fnmatch on file:rule:subject)."""
    missing = []
    for it in items:
        hit = next((v for k, v in table.items() if fnmatch.fnmatchcase(it['key'], k)), None)
        if hit is None:
            missing.append(it['key'])
        it['resolution'] = hit
    if missing:
        raise ReproduceError('manual items without a resolution in manual/resolutions.json '
                             '(say what the person did about each):\n  ' + '\n  '.join(missing))
    return items


def person_diff(auto: str, done: str, auto_files: dict[str, str] | None = None) -> dict:
    """Unified diff tool output -> finished version, and its size (``auto_files``: the tool
    output as text; default: the checked-in ``auto`` directory)."""
    if auto_files is None:
        auto_files = {p.name: p.read_text(encoding='utf-8') for p in (HERE / auto).glob('*.py')}
    out = {'files': {}, 'added': 0, 'removed': 0, 'text': ''}
    texts = []
    for p in sorted((HERE / done).glob('*.py')):
        old = auto_files.get(p.name, '').splitlines(keepends=True)
        new = p.read_text(encoding='utf-8').splitlines(keepends=True)
        diff = list(difflib.unified_diff(old, new, f'{auto}/{p.name}', f'{done}/{p.name}'))
        add = sum(1 for x in diff if x.startswith('+') and not x.startswith('+++'))
        rem = sum(1 for x in diff if x.startswith('-') and not x.startswith('---'))
        out['files'][p.name] = {'added': add, 'removed': rem, 'tool_lines': len(old), 'final_lines': len(new)}
        out['added'] += add
        out['removed'] += rem
        texts.append(''.join(diff))
    out['text'] = ''.join(texts)
    return out


def excerpt(path: Path, name: str, src: str | None = None) -> str:
    """Source of the top-level function or class ``name`` in ``path`` (or in ``src``)."""
    if src is None:
        src = path.read_text(encoding='utf-8')
    for node in ast.parse(src).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return '\n'.join(src.splitlines()[start - 1:node.end_lineno])
    raise ReproduceError(f'{path}: no {name}')


# ============================================================== stages 4-7: the numbers

def parse_result(stdout: str) -> dict:
    for line in stdout.splitlines()[::-1]:
        if line.startswith('RESULT '):
            return json.loads(line[len('RESULT '):])
    raise ReproduceError('no RESULT line in:\n' + stdout[-2000:])


def run_py(args: list[str], legacy_keras: bool, timeout: int = 1200) -> dict:
    env = _env(TF_USE_LEGACY_KERAS='1') if legacy_keras else _env()
    proc = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise ReproduceError(f'{" ".join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}')
    return parse_result(proc.stdout)


class Timer:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def __call__(self, name: str):
        timer = self

        class _T:
            def __enter__(self):
                log(name + ' ...')
                self.t0 = time.perf_counter()

            def __exit__(self, *exc):
                timer.times[name] = time.perf_counter() - self.t0
                log(f'{name}: {timer.times[name]:.1f} s')
        return _T()


def carry_to_tf2(ckpt: str, net) -> dict:
    """TF1 checkpoint -> the Keras model, through the checker's layout-aware conversion."""
    from migrate.check.adapters import KerasAdapter
    from migrate.check.convert import read_source
    from migrate.check.correspondence import build_correspondence, load_mapping

    old_w, arrays, _ = read_source(ckpt)
    ad = KerasAdapter(net, label='tf2')
    corr = build_correspondence(old_w, ad.info().weights, 'tf', 'tf', load_mapping(str(MAPPINGS['tf1', 'tf2'])))
    conv = corr.convert(arrays)
    ad._set(conv)
    return {'pairs': len(corr.pairs), 'tensors': len(conv), 'notes': corr.notes}


def checker_runs(examples: int) -> dict[tuple[str, str], dict]:
    """``migrate check`` on generated weights and inputs for the three pairs."""
    from migrate.check import CheckOptions, check

    res = {}
    for a, b in PAIRS:
        opts = CheckOptions(max_examples=examples, mapping=str(MAPPINGS[a, b]), shrink_budget=4,
                            name=f'{LABEL[a]} vs {LABEL[b]}', device='cpu')
        t0 = time.perf_counter()
        r = check(SPECS[a], SPECS[b], opts)
        d = r.to_dict()
        d.pop('plot_png_base64', None)
        d['wall_s'] = time.perf_counter() - t0
        if r.status == 'not_equivalent' and r.failing_example:
            d['diagnosis'] = diagnose(a, b, d)
        res[a, b] = d
        log(f'check {LABEL[a]} vs {LABEL[b]}: {r.message}')
    return res


def diagnose(a: str, b: str, res: dict) -> dict:
    """Why a generated-weights check failed: the smallest failing example rerun through the
    adapters. Eval mode: the worst layer value's magnitude and relative difference. Training
    mode: the BN outputs nearest to zero on both sides (a ReLU kink within float noise flips
    the gradient of that pixel) and whether the two sides' ReLU masks differ there."""
    import numpy as np

    from migrate.check.adapters import make_adapter
    from migrate.check.align import align, canonical
    from migrate.check.correspondence import build_correspondence, load_mapping
    from migrate.check.strategies import Example, generate_inputs, generate_weights

    ex = res['failing_example']
    example = Example(ex['batch'], tuple((int(k), v) for k, v in ex['sizes'].items()), ex['input_seed'],
                      ex['weight_seed'], ex['style'], ex['masked_row'], ex['nonfinite'])
    old = make_adapter(SPECS[a], None, label=a, device='cpu')
    new = make_adapter(SPECS[b], None, label=b, device='cpu')
    try:
        oi, ni = old.info(), new.info()
        corr = build_correspondence(oi.weights, ni.weights, 'tf', 'torch' if b == 'torch' else 'tf',
                                    load_mapping(str(MAPPINGS[a, b])))
        specs = oi.inputs
        old.set_input_specs(specs)
        new.set_input_specs([sp for sp in specs if sp.name == 'frames'])
        w_old = generate_weights(oi.weights, example.weight_seed, 'tf')
        x = generate_inputs(specs, example)
        x_new = {'frames': x['frames']}
        out: dict = {}
        for mode in ('eval', 'train'):
            fo, fn = old.forward(w_old, x, mode), new.forward(corr.convert(w_old), x_new, mode)
            worst = None
            kink = None
            for i, j in align(fo.intermediates, fn.intermediates, corr.layer_pairs()):
                u, v = fo.intermediates[i].array, canonical(fn.intermediates[j], fo.intermediates[i].array.shape)
                d = np.abs(u - v)
                k = np.unravel_index(int(np.argmax(d)), d.shape)
                if worst is None or d[k] > worst['diff']:
                    worst = {'layer': fn.intermediates[j].name, 'diff': float(d[k]), 'value': float(abs(u[k])),
                             'rel': float(d[k] / max(abs(u[k]), 1e-30))}
                if 'bn' in fn.intermediates[j].name.lower():
                    z = np.argmin(np.minimum(np.abs(u), np.abs(v)))
                    m = float(min(abs(u.flat[z]), abs(v.flat[z])))
                    if kink is None or m < kink['min_abs']:
                        kink = {'layer': fn.intermediates[j].name, 'min_abs': m, 'old': float(u.flat[z]),
                                'new': float(v.flat[z]),
                                'relu_mask_differs': bool((u > 0).ravel().tolist() != (v > 0).ravel().tolist())}
            out[mode] = {'worst': worst, 'nearest_zero_bn': kink}
        return out
    finally:
        old.close()
        new.close()


def checkpoint_compare(ckpt_arrays: dict, eval_batch: dict) -> dict[tuple[str, str], dict]:
    """The checker's adapters with the TRAINED weights on the real evaluation batch: per head
    and per layer (eval and training-mode forward) and the BN statistics after the latter."""
    import numpy as np

    from migrate.check.adapters import make_adapter
    from migrate.check.align import align, canonical
    from migrate.check.correspondence import build_correspondence, load_mapping
    ads = {v: make_adapter(SPECS[v], None, label=v, device='cpu') for v in ('tf1', 'tf2', 'torch')}
    infos = {v: ad.info() for v, ad in ads.items()}
    specs = infos['tf1'].inputs
    for ad in ads.values():
        ad.set_input_specs([s for s in specs if s.name == 'frames'] if ad.kind != 'tf1' else specs)
    corr = {p: build_correspondence(infos[p[0]].weights, infos[p[1]].weights,
                                    'tf', 'torch' if p[1] == 'torch' else 'tf',
                                    load_mapping(str(MAPPINGS[p]))) for p in PAIRS}
    tf1_names = {w.name for w in infos['tf1'].weights}
    weights = {'tf1': {k: v for k, v in ckpt_arrays.items() if k in tf1_names}}
    weights['tf2'] = corr['tf1', 'tf2'].convert(weights['tf1'])
    weights['torch'] = corr['tf1', 'torch'].convert(weights['tf1'])
    inputs = {'frames': eval_batch['frames'], 'is_training': np.array(False)}
    fwd = {}
    for mode in ('eval', 'train'):
        for v, ad in ads.items():
            x = inputs if ad.kind == 'tf1' else {'frames': inputs['frames']}
            fwd[v, mode] = ad.forward(weights[v], x, mode)
    out = {}
    for a, b in PAIRS:
        r = {'heads': {}, 'layers': [], 'state': 0.0}
        for mode in ('eval', 'train'):
            fo, fn = fwd[a, mode], fwd[b, mode]
            for i, head in enumerate(HEADS):
                d = float(np.max(np.abs(fo.outputs[i].array - canonical(fn.outputs[i], fo.outputs[i].array.shape))))
                r['heads'][f'{head}/{mode}'] = d
            for i, j in align(fo.intermediates, fn.intermediates, corr[a, b].layer_pairs()):
                x, y = fo.intermediates[i], fn.intermediates[j]
                d = float(np.max(np.abs(x.array - canonical(y, x.array.shape))))
                r['layers'].append({'old': x.name, 'new': y.name, 'mode': mode, 'max_abs_diff': d})
            if mode == 'train':
                conv = corr[a, b].convert(fo.state)
                r['state'] = max(float(np.max(np.abs(conv[k] - fn.state[k]))) for k in conv if k in fn.state)
        r['max_head_diff'] = max(r['heads'].values())
        r['max_layer_diff'] = max((x['max_abs_diff'] for x in r['layers']), default=0.0)
        out[a, b] = r
    for ad in ads.values():
        ad.close()
    return out, weights, corr


def compare_first_step(res: dict, tf1_first: dict, corr: dict) -> dict:
    """The first real training step (the program's own loss and Adam, no dropout) of the three
    versions: gradients and the weights after it, layer by layer in the newer version's names."""
    import numpy as np

    firsts = {'tf1': tf1_first, 'tf2': res['tf2']['first_step'], 'torch': res['torch']['first_step']}
    out = {}
    for a, b in PAIRS:
        fa, fb = firsts[a], firsts[b]
        ga = corr[a, b].convert({k: v for k, v in fa['grads'].items()}, grad=True)
        wa = corr[a, b].convert(fa['weights'])
        gd = {k: float(np.max(np.abs(ga[k] - fb['grads'][k]))) for k in ga if k in fb['grads']}
        wd = {k: float(np.max(np.abs(wa[k] - fb['weights'][k]))) for k in wa if k in fb['weights']}
        gmax = {k: float(np.max(np.abs(fb['grads'][k]))) for k in gd}
        worst = max(wd, key=wd.get)
        at = np.unravel_index(int(np.argmax(np.abs(wa[worst] - fb['weights'][worst]))), wa[worst].shape)
        out[a, b] = {'grad_diff': max(gd.values()), 'worst_grad': max(gd, key=gd.get),
                     'grad_scale': max(gmax.values()), 'param_diff': wd[worst], 'worst_param': worst,
                     'worst_param_grads': [float(ga[worst][at]), float(fb['grads'][worst][at])]
                     if worst in ga and worst in fb['grads'] else None,
                     'compared': len(wd)}
    return out


def continue_training(ckpt: str, weights: dict, steps: int, timing_runs: int, tf2_mod, torch_mod,
                      dropout: bool, tf1_result: dict, tf1_first: dict | None = None,
                      corr: dict | None = None) -> dict:
    """Each version continues from the same checkpoint on the same batches (fresh Adam state);
    inference timing. ``dropout=False`` builds all three with dropout rate 0 (deterministic)."""
    import numpy as np
    import tensorflow as tf
    import torch

    sys.path.insert(0, str(HERE))
    import data as driving_data

    res = {'tf1': tf1_result}
    labels = ('lane_mask', 'obj_class', 'obj_box', 'steering')
    eval_batch = driving_data.make_batch(np.random.default_rng(1000), 8)
    rates = (tf2_mod.DROPOUT_RATE, torch_mod.DROPOUT_RATE)
    if not dropout:
        tf2_mod.DROPOUT_RATE = torch_mod.DROPOUT_RATE = 0.0
    try:
        net = tf2_mod.build_keras_model()
        tnet = torch_mod.DrivingNet()
    finally:
        tf2_mod.DROPOUT_RATE, torch_mod.DROPOUT_RATE = rates

    # TF2
    from migrate.check.adapters import _wname
    carry_to_tf2(ckpt, net)
    saved = [v.numpy() for v in net.variables]
    opt = tf2_mod.make_optimizer(2e-3)

    @tf.function
    def step(frames, lab):
        with tf.GradientTape() as tape:
            values = tf2_mod.losses(net, net(frames, training=True), lab)
        grads = tape.gradient(values['total'], net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
        return values

    infer = tf.function(lambda x: net(x, training=False))
    r = {'losses': []}
    x = tf.constant(eval_batch['frames'])
    for _ in range(3):
        infer(x)
    times = []
    for _ in range(timing_runs):
        t0 = time.perf_counter()
        [o.numpy() for o in infer(x)]
        times.append(time.perf_counter() - t0)
    r['inference_s'] = float(np.min(times))
    rng = np.random.default_rng(2000)
    t0 = time.perf_counter()
    for i in range(steps):
        b = driving_data.make_batch(rng, 8)
        lab = {k: b[k] for k in labels}
        if i == 0 and not dropout:   # the first step in detail: gradients, then the weights after it
            with tf.GradientTape() as tape:
                loss = tf2_mod.losses(net, net(b['frames'], training=True), lab)['total']
            grads = tape.gradient(loss, net.trainable_variables)
            first = {'grads': {_wname(v): gr.numpy() for v, gr in zip(net.trainable_variables, grads)}}
            for v, a in zip(net.variables, saved):
                v.assign(a)   # undo the BN statistics update of that extra forward
        values = step(b['frames'], lab)
        r['losses'].append({k: float(v) for k, v in values.items()})
        if i == 0 and not dropout:
            first['weights'] = {_wname(v): v.numpy() for v in net.variables}
            r['first_step'] = first
    r['train_s'] = time.perf_counter() - t0
    res['tf2'] = r

    # PyTorch
    tnet.load_state_dict({k: torch.as_tensor(v) for k, v in weights['torch'].items()}, strict=False)
    topt = torch_mod.make_optimizer(tnet.parameters(), 2e-3)
    r = {'losses': []}
    tnet.eval()
    xt = torch_mod.to_torch_frames(eval_batch['frames'])
    with torch.no_grad():
        for _ in range(3):
            tnet(xt)
        times = []
        for _ in range(timing_runs):
            t0 = time.perf_counter()
            tnet(xt)
            times.append(time.perf_counter() - t0)
    r['inference_s'] = float(np.min(times))
    rng = np.random.default_rng(2000)
    t0 = time.perf_counter()
    for i in range(steps):
        b = driving_data.make_batch(rng, 8)
        tnet.train()
        topt.zero_grad(set_to_none=True)
        values = torch_mod.losses(tnet, tnet(torch_mod.to_torch_frames(b['frames'])),
                                  {k: torch.as_tensor(b[k]) for k in labels})
        values['total'].backward()
        if i == 0 and not dropout:
            first = {'grads': {n: p.grad.detach().numpy().copy() for n, p in tnet.named_parameters()
                               if p.grad is not None}}
        topt.step()
        r['losses'].append({k: float(v.detach()) for k, v in values.items()})
        if i == 0 and not dropout:
            first['weights'] = {n: t.detach().numpy().copy() for n, t in tnet.state_dict().items()
                                if t.is_floating_point()}
            r['first_step'] = first
    r['train_s'] = time.perf_counter() - t0
    res['torch'] = r
    if not dropout:
        res['first_step'] = compare_first_step(res, tf1_first, corr)
        for v in ('tf1', 'tf2', 'torch'):
            res[v].pop('first_step', None)
    ref = [x['total'] for x in res['tf1']['losses']]
    for v in ('tf2', 'torch'):
        ys = [x['total'] for x in res[v]['losses']]
        diffs = [abs(a - b) for a, b in zip(ref, ys)]
        res[v]['loss_diff_vs_tf1'] = diffs
        res[v]['max_loss_diff_vs_tf1'] = max(diffs)
        res[v]['first_loss_diff_vs_tf1'] = diffs[0]
        for tol in (1e-5, 1e-4, 1e-3, 1e-2):   # how many steps the runs stay this close
            res[v][f'steps_within_{tol:g}'] = next((i for i, d in enumerate(diffs) if d > tol), len(diffs))
    return res


def plot_layers(cmp: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(PAIRS), 1, figsize=(9, 2.6 * len(PAIRS)), sharex=False)
    for ax, p in zip(axes, PAIRS):
        rows = [x for x in cmp[p]['layers'] if x['mode'] == 'eval']
        vals = [max(x['max_abs_diff'], 1e-9) for x in rows]
        ax.bar(range(len(rows)), vals, color='tab:blue')
        ax.axhline(1e-5, color='tab:red', linestyle='--', label='atol 1e-5')
        ax.set_yscale('log')
        ax.set_ylim(1e-9, 1e-3)
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels([x['new'] for x in rows], rotation=40, ha='right', fontsize=7)
        ax.set_title(f'{LABEL[p[0]]} vs {LABEL[p[1]]}: max |diff| per layer (trained checkpoint, eval batch)',
                     fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_losses(cont: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    ax = axes[2]
    for v, style in (('tf2', '--'), ('torch', ':')):
        d = [max(x, 1e-9) for x in cont['no_dropout'][v]['loss_diff_vs_tf1']]
        ax.plot(range(1, len(d) + 1), d, style, label=f'{LABEL[v]} - TF1', linewidth=1.6)
    ax.set_yscale('log')
    ax.set_xlabel('Adam step after the TF1 checkpoint')
    ax.set_ylabel('|loss - TF1 loss|')
    ax.set_title('without dropout: distance to the TF1 run', fontsize=10)
    ax.legend()
    for ax, key, title in ((axes[0], 'no_dropout', 'without dropout (deterministic)'),
                           (axes[1], 'dropout', 'with dropout (random masks per framework)')):
        for v, style in (('tf1', '-'), ('tf2', '--'), ('torch', ':')):
            ys = [x['total'] for x in cont[key][v]['losses']]
            ax.plot(range(1, len(ys) + 1), ys, style, label=LABEL[v], linewidth=1.6)
        ax.set_xlabel('Adam step after the TF1 checkpoint')
        ax.set_ylabel('total training loss')
        ax.set_title(title, fontsize=10)
        ax.legend()
    fig.suptitle('Training continued from the same TF1 checkpoint on the same batches', fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ============================================================== stage 8: the write-up

def g(x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return str(x)
    return f'{x:.2g}' if x != 0 else '0'


def render(ctx: dict) -> str:
    L: list[str] = []
    a = L.append
    q = ctx['quick']
    a('# Case study: DrivingNet, TF1 -> TF2 -> PyTorch')
    a('')
    a('<!-- Generated by corpus/case_study/reproduce.py'
      + (' --quick' if q else '') + f' --steps {ctx["steps"]}. Do not edit by hand: every number, '
      'excerpt and list below comes from that run. -->')
    a('')
    a('A driving-perception model written in genuine TF1 style (`corpus/case_study/tf1/`: '
      '`variable_scope`/`get_variable`, `tf.layers`, a slim-style `arg_scope`, `BasicLSTMCell` + '
      '`dynamic_rnn`, `tf.losses`, `Saver`, `tf.app.flags`; three heads: lane segmentation, lead '
      'vehicle detection, steering) migrated with migrate to TensorFlow 2 / Keras and on to PyTorch, '
      'with a trained TF1 checkpoint carried along and every step checked numerically.')
    a('')
    a('Reproduce (CPU): `python corpus/case_study/reproduce.py` (full form, the benchmark) or '
      '`--quick` (the CI form, `tests/test_case_study.py`).')
    if q:
        a('')
        a('**This file was written by the quick (CI) form**: few training steps and generated '
          'examples; run the full form for the benchmark numbers.')
    a('')
    a(f'Run: {ctx["platform"]}; TF1 trained {ctx["steps"]} steps, training continued '
      f'{ctx["continue_steps"]} steps, `migrate check` with {ctx["examples"]} generated example(s) per pair.')
    a('')
    a('## How the work was split')
    a('')
    a('| stage | who | input -> output |')
    a('|---|---|---|')
    a('| 1 | `migrate tf1-to-tf2 --unsafe-fixes --write` | `tf1/` -> `tf2_auto/` (+ `migrate-report.json`) |')
    a('| 2 | a person | `tf2_auto/` -> `tf2/` (finishing edits, below) |')
    a('| 3 | `migrate tf2-to-torch --unsafe-fixes --write` | `tf2/` -> `torch_auto/` (+ `migrate-report.json`) |')
    a('| 4 | a person | `torch_auto/` -> `torch/` |')
    a('| 5 | `tf1/train.py`, the checker\'s conversion, `migrate convert-weights` | TF1 checkpoint -> TF2 and PyTorch weights |')
    a('| 6 | `migrate check` + this script | equivalence per head, per layer, one training step |')
    a('')
    a('The finished versions (`tf2/`, `torch/`) are checked in, not re-derived by applying a '
      'patch: the tools are improved continuously, so their output moves, and a patch against it '
      'would stop applying at every change. Instead `tests/test_case_study.py` fails when '
      '`tf2_auto/` / `torch_auto/` no longer match what the tools produce (regenerate with '
      '`reproduce.py --auto-only`), the person\'s edits are measured as a diff of the finished '
      'version against the *current* tool output, and every manual item the tools report must '
      'have an entry in `manual/resolutions.json` or the script fails. So a tool change that '
      'removes work shows up as a smaller diff and fewer manual items; one that adds work fails '
      'until a person says what they did about it.')
    a('')
    a('## Before and after')
    a('')
    for title, path, name in ctx['excerpts']:
        try:
            auto, _, fname = path.partition('/')
            code = excerpt(HERE / path, name, ctx['outputs'].get(auto, {}).get(fname))
        except ReproduceError:
            a(f'**{title}**: `{path}` has no `{name}` any more (the tool restructured it).')
            a('')
            continue
        a(f'**{title}** (`{path}`, `{name}`):')
        a('')
        a('```python')
        a(code)
        a('```')
        a('')
    for st in ctx['stages']:
        pack = st['pack']
        rep = st['report']
        s = rep['summary']
        by = s.get('findings_by_status', {})
        a(f'## Stage: `migrate {pack}`')
        a('')
        a(f'{s.get("files_scanned")} files scanned, {s.get("files_changed")} changed; findings: '
          f'{by.get("applied", 0)} applied, {by.get("manual", 0)} manual; effort '
          f'{s.get("story_points_total")} story points (by level: '
          + ', '.join(f'{k} {v}' for k, v in s.get('story_points_by_level', {}).items() if v) + ').')
        a('')
        a('Rules fired (findings per rule and status):')
        a('')
        a('| rule | applied | manual | other |')
        a('|---|---:|---:|---:|')
        counts: dict[str, dict[str, int]] = {}
        for f in rep['findings']:
            c = counts.setdefault(f['rule'], {})
            c[f['status']] = c.get(f['status'], 0) + 1
        names = dict(tuple(x) for x in rep['rules'])
        for rule in sorted(counts):
            c = counts[rule]
            other = sum(v for k, v in c.items() if k not in ('applied', 'manual'))
            a(f'| {rule} {names.get(rule, "")} | {c.get("applied", 0)} | {c.get("manual", 0)} | {other} |')
        a('')
        d = st['diff']
        a(f'The person\'s finishing edits (`{st["auto"]}/` -> `{st["done"]}/`): '
          f'+{d["added"]} / -{d["removed"]} lines; '
          + ', '.join(f'`{n}` {v["tool_lines"]} -> {v["final_lines"]} lines (+{v["added"]}/-{v["removed"]})'
                      for n, v in d['files'].items()) + '.')
        a('')
        a(f'Manual items ({len(st["items"])} groups, {sum(len(i["lines"]) for i in st["items"])} findings) '
          'and what the person did about each:')
        a('')
        a('| file | rule | about | lines | points | resolution |')
        a('|---|---|---|---|---:|---|')
        for it in st['items']:
            lines = ', '.join(str(x) for x in it['lines'][:8]) + (' ...' if len(it['lines']) > 8 else '')
            a(f'| {it["file"]} | {it["rule"]} | `{it["subject"]}` | {lines} | {it["effort_points"]} | '
              f'{it["resolution"]} |')
        a('')
    if ctx.get('numbers'):
        n = ctx['numbers']
        a('## Carrying the checkpoint')
        a('')
        r = n['tf1_result']
        a(f'TF1 trained {r["global_step"]} steps ({r["num_params"]} parameters): training loss '
          f'{g(r["train_loss_first"])} -> {g(r["train_loss_last"])}, evaluation loss '
          f'{g(r["initial_eval"]["total"])} -> {g(r["eval"]["total"])}.')
        a('')
        a(f'* TF2: {n["carry_tf2"]["pairs"]} layers paired by `manual/tf1_tf2_mapping.json`, '
          f'{n["carry_tf2"]["tensors"]} tensors converted with the checker\'s layouts (BasicLSTMCell '
          'kernel split into kernel/recurrent kernel, gates i,j,f,o -> i,f,c,o, forget_bias 1.0 '
          'folded into the bias). `migrate convert-checkpoint` renames variables with shape checks '
          'and cannot change a layout, so it does not apply to the LSTM here.')
        a(f'* PyTorch: `migrate convert-weights CKPT drivenet.pt --model torch/model.py:build_model '
          f'--mapping manual/tf1_torch_mapping.json`: {n["carry_torch"]["pairs"]} layers '
          '(the mapping also gives the detection FC its `flatten_hwc` = [3, 4, 32], which a '
          'checkpoint alone cannot tell).')
        a('')
        a('## Equivalence')
        a('')
        a('With the **trained checkpoint** on the fixed evaluation batch (8 clips), max-abs '
          'difference per head (inference / training-mode forward), the worst of the paired layers '
          '(both modes) and the BN moving statistics after the training-mode forward; then the '
          '**first real training step** from the checkpoint (the program\'s own loss, L2 decay and '
          'Adam on the first batch of the continued training, dropout off): the largest gradient '
          'difference (and the largest gradient, for scale) and the largest difference of any '
          'weight or BN statistic after the step:')
        a('')
        a('| stage | ' + ' | '.join(HEADS) + ' | worst layer | BN stats | step: grads (scale) | step: weights |')
        a('|---|' + '---:|' * (len(HEADS) + 4))
        first = n['continue']['no_dropout']['first_step']
        for p in PAIRS:
            c, f = n['ckpt'][p], first[p]
            heads = ' | '.join(f'{g(c["heads"][h + "/eval"])} / {g(c["heads"][h + "/train"])}' for h in HEADS)
            a(f'| {LABEL[p[0]]} -> {LABEL[p[1]]} | {heads} | {g(c["max_layer_diff"])} | {g(c["state"])} | '
              f'{g(f["grad_diff"])} ({g(f["grad_scale"])}) | {g(f["param_diff"])} |')
        a('')
        for p in PAIRS:
            f = first[p]
            if f['param_diff'] > 1e-4 and f['worst_param_grads']:
                ga, gb = f['worst_param_grads']
                a(f'* {LABEL[p[0]]} -> {LABEL[p[1]]}: the largest weight difference after the Adam step, '
                  f'{g(f["param_diff"])} in `{f["worst_param"]}`, is where the gradient is {g(ga)} on one '
                  f'side and {g(gb)} on the other.')
        a('')
        a('Adam\'s first step moves each weight by about `lr * g / (|g| + 3.2e-7)` (TF\'s epsilon hat '
          '1e-8 divided by sqrt(1 - beta2)): where a gradient is within float noise of zero, noise '
          'decides how far the weight moves, up to lr = 2e-3. The gradients are the comparison that '
          'carries information; the weights after the step are shown for completeness.')
        a('')
        a('Tolerances (the checker\'s defaults): 1e-5 on outputs and layers, 1e-4 after a training '
          'step. Layers are paired by the checker (`migrate.check.align`) through the weight mappings '
          'in `manual/`; the plot shows every paired layer in inference mode.')
        a('')
        a('![per-layer max diff](case-study/per-layer.png)')
        a('')
        a('`migrate check` with **generated weights and inputs** (random, drawn by the checker, '
          'several examples, eval and training mode, per layer, one SGD step):')
        a('')
        a('| stage | verdict | examples | max output diff | worst layer | step: grads | step: weights | wall s |')
        a('|---|---|---:|---:|---|---:|---:|---:|')
        for p in PAIRS:
            c = n['check'][p]
            t = c.get('train') or {}
            a(f'| {LABEL[p[0]]} -> {LABEL[p[1]]} | {c["status"]} | {c["examples_run"]} | '
              f'{g(c["max_abs_diff"])} | {c.get("worst_layer") or ""} | {g(t.get("max_grad_diff"))} | '
              f'{g(t.get("max_param_diff"))} | {c["wall_s"]:.0f} |')
        a('')
        for p in PAIRS:
            c = n['check'][p]
            a(f'* {LABEL[p[0]]} -> {LABEL[p[1]]}: {c["message"]}')
        a('')
        a(check_notes(n['check']))
        a('')
        a('## Training continued from the same checkpoint')
        a('')
        cont = n['continue']
        a(f'{ctx["continue_steps"]} Adam steps (lr 2e-3, epsilon 1e-8, a fresh optimizer state in all '
          'three: the TF1 run restores only the model variables) on the same batches, twice: without '
          'dropout (all three built with rate 0, so each run is deterministic and the three start '
          'identical), and as the model trains, with dropout 0.3 (its masks are random and differ '
          'between frameworks, so these curves can only agree statistically).')
        a('')
        nd = cont['no_dropout']
        a('Without dropout the runs track each other step by step at first and then drift apart: '
          f'the float32 noise of the first step (gradients equal within '
          f'{g(max(f["grad_diff"] for f in nd["first_step"].values()))}) is amplified by every '
          'Adam step, whose update `lr * g / (|g| + 3.2e-7)` lets noise decide the direction of '
          'weights with near-zero gradients. Steps for which the loss stays within a distance of '
          'the TF1 run: '
          + '; '.join(f'{LABEL[v]}: ' + ', '.join(f'{nd[v][f"steps_within_{t:g}"]} within {t:g}'
                                                  for t in (1e-5, 1e-4, 1e-3, 1e-2))
                      for v in ('tf2', 'torch')) + '.')
        a('')
        a('| version | dropout | first loss | last loss | mean | max abs diff to TF1 over the run | train s |')
        a('|---|---|---:|---:|---:|---:|---:|')
        for key, label in (('no_dropout', 'off'), ('dropout', '0.3')):
            for v in ('tf1', 'tf2', 'torch'):
                c = cont[key][v]
                ys = [x['total'] for x in c['losses']]
                diff = g(c['max_loss_diff_vs_tf1']) if v != 'tf1' else ''
                a(f'| {LABEL[v]} | {label} | {ys[0]:.6f} | {ys[-1]:.6f} | {sum(ys) / len(ys):.4f} | {diff} | '
                  f'{c["train_s"]:.1f} |')
        a('')
        a('![loss curves](case-study/loss-curves.png)')
        a('')
        a('## Speed (CPU)')
        a('')
        cont = n['continue']['no_dropout']
        base = cont['tf1']['inference_s']
        a('Inference on the evaluation batch (8 clips of 4 frames), best of '
          f'{ctx["timing_runs"]} runs (the machine may be shared: the best run is the least disturbed), {ctx["threads"]} CPU thread(s) per framework (TF1: `Session.run` of '
          'the four outputs; TF2: the Keras model in a `tf.function`; PyTorch: eager, `no_grad`):')
        a('')
        a('| version | ms per batch | relative to TF1 |')
        a('|---|---:|---:|')
        for v in ('tf1', 'tf2', 'torch'):
            s = cont[v]['inference_s']
            a(f'| {LABEL[v]} | {s * 1e3:.2f} | {s / base:.2f}x |')
        a('')
        a('Wall time of each stage of this run:')
        a('')
        a('| stage | seconds |')
        a('|---|---:|')
        for k, v in ctx['times'].items():
            a(f'| {k} | {v:.1f} |')
        a('')
    a('## Semantics the finished versions keep')
    a('')
    a('* BatchNorm: momentum 0.9 / eps 1e-3 (PyTorch momentum 0.1); TF1\'s fused batch norm stores '
      'the *unbiased* batch variance in the moving average, Keras 3 the biased one: the TF2 version '
      f'has a {len(excerpt(HERE / "tf2" / "model.py", "BatchNorm").splitlines())}-line `BatchNorm` '
      'subclass, PyTorch does it natively.')
    a('* SAME padding with stride 2 on odd heights (33, 17, 9) and even widths (64, 32, 16): PyTorch '
      'pads at run time (`Conv2dSame`, `max_pool2d_same` with -inf for the pool).')
    a('* BasicLSTMCell: gates i,j,f,o in one kernel over [x, h], forget_bias 1.0 added at run time; '
      'Keras/PyTorch LSTM with the bias folded in; PyTorch\'s second bias frozen at zero.')
    a('* Flatten: TF flattens NHWC; PyTorch flattens NCHW and the FC rows are permuted on conversion.')
    a('* L2 decay: `1e-4 * tf.nn.l2_loss` = Keras `L2(5e-5)` = `1e-4 * sum(w**2) / 2` in PyTorch.')
    a('* Losses: TF1 `tf.losses` reductions (huber: sum over the non-zero weights) written out.')
    a('* Adam: TF1 epsilon 1e-8 as "epsilon hat"; Keras `epsilon=1e-8`, PyTorch `TFAdam` (torch.optim.Adam '
      'adds eps after the bias correction).')
    a('')
    return '\n'.join(L) + '\n'


def check_notes(checks: dict) -> str:
    """What the rerun of each failing generated-weights example shows (see diagnose())."""
    lines = []
    for p in PAIRS:
        c = checks[p]
        dg = c.get('diagnosis')
        if not dg:
            continue
        e, t = dg['eval']['worst'], dg['train']['nearest_zero_bn']
        ex = c['failing_example']
        lines.append(f'* {LABEL[p[0]]} -> {LABEL[p[1]]}, smallest failing example (batch {ex["batch"]}, '
                     f'input seed {ex["input_seed"]}, weight seed {ex["weight_seed"]}, {ex["style"]} inputs): '
                     f'in inference the largest layer difference is {g(e["diff"])} at `{e["layer"]}` on a '
                     f'value of {g(e["value"])}, a relative difference of {g(e["rel"])} (float32 resolution '
                     f'is 6e-8, torch.testing\'s float32 rtol 1.3e-6).' + (
                         f' In the training-mode forward the BN output nearest to zero (`{t["layer"]}`) is '
                         f'{g(t["old"])} on one side and {g(t["new"])} on the other'
                         + ('; the ReLU masks after it differ, so that pixel passes a gradient on one side '
                            'only and every gradient below it moves' if t['relu_mask_differs'] else '')
                         + f' (max gradient difference {g((c.get("train") or {}).get("max_grad_diff"))}).'
                         if t else ''))
    if not lines:
        return 'Every pair is equivalent on the generated examples.'
    return ('Why the TF <-> PyTorch generated-weights checks fail (the script reruns the failing example): '
            'TF and PyTorch convolutions sum in different orders, which leaves float32 noise that '
            'the checker\'s absolute 1e-5 does not forgive on large intermediate values, and a ReLU '
            'kink hit within that noise in training mode changes gradients discretely. TF1 -> TF2 '
            'share TensorFlow\'s kernels. The outputs agree in every pair, and with the trained '
            'checkpoint on real data (the first table) every stage is within the default tolerances.\n\n'
            + '\n'.join(lines))


def _json_keys(x):
    """Tuple dict keys ('tf1', 'tf2') -> 'tf1->tf2', recursively."""
    if isinstance(x, dict):
        return {('->'.join(k) if isinstance(k, tuple) else k): _json_keys(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_keys(v) for v in x]
    return x


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--quick', action='store_true', help='CI form: few steps and examples')
    ap.add_argument('--steps', type=int, default=None, help='TF1 training steps (300; quick: 30)')
    ap.add_argument('--continue-steps', type=int, default=None, help='continued training (100; quick: 8)')
    ap.add_argument('--examples', type=int, default=None, help='migrate check examples (10; quick: 1)')
    ap.add_argument('--out', default=str(ROOT / 'docs'), help='where case-study.md and case-study/ go')
    ap.add_argument('--work', default=None, help='scratch directory (default: a temporary one)')
    ap.add_argument('--auto-only', action='store_true', help='stages 1 and 3 only (no TF/torch import)')
    ap.add_argument('--check-auto', action='store_true', help='with --auto-only: fail if tf2_auto/ '
                    'or torch_auto/ are stale instead of writing them')
    ap.add_argument('--json', default=None, help='write all numbers as JSON here')
    ap.add_argument('--no-write-auto', action='store_true',
                    help='use the tool outputs without writing tf2_auto/ and torch_auto/ (tests)')
    ap.add_argument('--threads', type=int, default=1,
                    help='CPU threads of every framework (1: stable timings on a shared machine)')
    args = ap.parse_args(argv)
    steps = args.steps or (30 if args.quick else 300)
    cont_steps = args.continue_steps or (8 if args.quick else 100)
    examples = args.examples or (1 if args.quick else 10)
    timing_runs = 5 if args.quick else 30
    timer = Timer()

    with timer('stages 1+3: run the tools'):
        outputs = auto_outputs()
    if args.check_auto:
        stale = stale_auto(outputs)
        if stale:
            log('stale (regenerate with reproduce.py --auto-only): ' + ', '.join(stale))
            return 1
        log('tf2_auto/ and torch_auto/ are up to date')
        return 0
    if not args.no_write_auto:
        write_auto(outputs)
    resolutions = load_resolutions()
    stages = []
    for pack, _, auto, done in STAGES:
        rep = json.loads(outputs[auto]['migrate-report.json'])
        items = resolve(manual_items(rep), resolutions.get(pack, {}))
        stages.append({'pack': pack, 'auto': auto, 'done': done, 'report': rep, 'items': items,
                       'diff': person_diff(auto, done, outputs[auto])})
    ctx = {
        'quick': args.quick, 'steps': steps, 'continue_steps': cont_steps, 'examples': examples,
        'timing_runs': timing_runs, 'stages': stages, 'threads': args.threads, 'outputs': outputs,
        'platform': f'{platform.system()} {platform.machine()}, Python {platform.python_version()}, '
                    f'{os.cpu_count()} CPU(s)',
        'excerpts': [('TF1, as the team wrote it', 'tf1/model.py', 'conv_bn_relu'),
                     ('TF2 after `migrate tf1-to-tf2` (tool output, unedited)', 'tf2_auto/model.py', 'conv_bn_relu'),
                     ('TF2, finished', 'tf2/model.py', 'conv_bn_relu'),
                     ('TF2, finished: the BN the Keras 3 default could not give', 'tf2/model.py', 'BatchNorm'),
                     ('PyTorch, finished', 'torch/model.py', 'ConvBN')],
        'times': timer.times,
    }
    out = Path(args.out)
    if args.auto_only:
        return 0

    work_ctx = tempfile.TemporaryDirectory() if args.work is None else None
    work = Path(args.work or work_ctx.name)
    work.mkdir(parents=True, exist_ok=True)
    try:
        numbers: dict = {}
        train_dir = work / 'tf1'
        if train_dir.exists():
            shutil.rmtree(train_dir)
        with timer(f'TF1: train {steps} steps (tf1/train.py)'):
            numbers['tf1_result'] = run_py([str(HERE / 'tf1' / 'train.py'), f'--train_dir={train_dir}',
                                            f'--steps={steps}', f'--log_every={max(steps, 1)}',
                                            f'--num_threads={args.threads}',
                                            f'--save_every={10 ** 9}'], legacy_keras=True)
        ckpt = str(train_dir / numbers['tf1_result']['checkpoint'])

        # Keras 3 + torch in this process (the TF1 side runs in subprocesses)
        os.environ.update(TF_ENV)
        os.environ.pop('TF_USE_LEGACY_KERAS', None)
        from migrate.check.adapters import setup_tf
        tf = setup_tf()
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        import numpy as np
        import torch
        torch.set_num_threads(args.threads)
        from migrate.check.convert import read_source
        from migrate.check.loader import load_module

        tf2_mod = load_module(HERE / 'tf2' / 'model.py')
        torch_mod = load_module(HERE / 'torch' / 'model.py')
        with timer('carry: TF1 checkpoint -> TF2 (Keras weights)'):
            net = tf2_mod.build_keras_model()
            numbers['carry_tf2'] = carry_to_tf2(ckpt, net)
            net.save_weights(str(work / 'drivenet_tf2.weights.h5'))
        with timer('carry: TF1 checkpoint -> PyTorch (migrate convert-weights)'):
            pairs_json = work / 'convert-weights.json'
            from migrate.cli import main as migrate_cli
            argv = ['convert-weights', ckpt, str(work / 'drivenet.pt'), '--model', SPECS['torch'],
                    '--mapping', str(MAPPINGS['tf1', 'torch']), '--json', str(pairs_json)]
            try:  # the command itself, in this process (TF and torch are imported already)
                migrate_cli.main(argv, prog_name='migrate', standalone_mode=False)
            except SystemExit as e:
                if e.code:
                    raise ReproduceError(f'migrate {" ".join(argv)} failed ({e.code})') from e
            numbers['carry_torch'] = {'pairs': len(json.loads(pairs_json.read_text())['pairs'])}
            sd = torch.load(work / 'drivenet.pt', weights_only=True)
            tnet = torch_mod.DrivingNet()
            tnet.load_state_dict(sd)
        with timer(f'migrate check x3 ({examples} generated examples each)'):
            numbers['check'] = checker_runs(examples)
        sys.path.insert(0, str(HERE))
        import data as driving_data
        eval_batch = driving_data.make_batch(np.random.default_rng(1000), 8)
        _, ckpt_arrays, _ = read_source(ckpt)
        with timer('trained checkpoint: per head and per layer, x3'):
            numbers['ckpt'], weights, corr = checkpoint_compare(ckpt_arrays, eval_batch)
        # the PyTorch weights from convert-weights are the ones compared
        conv_diff = max(float(np.max(np.abs(sd[k].numpy() - weights['torch'][k])))
                        for k in weights['torch'] if k in sd)
        numbers['carry_torch']['max_diff_vs_checker_conversion'] = conv_diff
        numbers['continue'] = {}
        with timer(f'TF1: continue training {cont_steps} steps without and with dropout + inference timing'):
            dump = work / 'tf1_first_step.npz'
            tf1_cont = run_py([str(HERE / 'tf1_continue.py'), ckpt, '--steps', str(cont_steps),
                               '--timing_runs', str(timing_runs), '--variants', 'no_dropout,model',
                               '--num_threads', str(args.threads), '--dump_first_step', str(dump)],
                              legacy_keras=True)
            with np.load(dump) as z:
                tf1_first = {'grads': {k[2:]: z[k] for k in z.files if k.startswith('g:')},
                             'weights': {k[2:]: z[k] for k in z.files if k.startswith('w:')}}
        with timer(f'TF2 + PyTorch: continue training {cont_steps} steps without dropout + inference timing'):
            numbers['continue']['no_dropout'] = continue_training(ckpt, weights, cont_steps, timing_runs,
                                                                  tf2_mod, torch_mod, False, tf1_cont['no_dropout'],
                                                                  tf1_first, corr)
        with timer(f'TF2 + PyTorch: continue training {cont_steps} steps with dropout'):
            numbers['continue']['dropout'] = continue_training(ckpt, weights, cont_steps, 1,
                                                               tf2_mod, torch_mod, True, tf1_cont['model'])
        img = out / 'case-study'
        img.mkdir(parents=True, exist_ok=True)
        plot_layers(numbers['ckpt'], img / 'per-layer.png')
        plot_losses(numbers['continue'], img / 'loss-curves.png')
        ctx['numbers'] = numbers
        (out / 'case-study.md').write_text(render(ctx), encoding='utf-8')
        log(f'wrote {out / "case-study.md"}')
        if args.json:
            Path(args.json).write_text(json.dumps({'numbers': _json_keys(numbers), 'times': timer.times},
                                                  indent=1, default=str), encoding='utf-8')
        failures = []
        for p in PAIRS:
            c = numbers['ckpt'][p]
            f = numbers['continue']['no_dropout']['first_step'][p]
            if not (c['max_head_diff'] <= 1e-5 and c['max_layer_diff'] <= 1e-5 and c['state'] <= 1e-4
                    and f['grad_diff'] <= 1e-4):
                failures.append(f'{LABEL[p[0]]} -> {LABEL[p[1]]}: {c} {f}')
        for v in ('tf2', 'torch'):
            c = numbers['continue']['no_dropout'][v]
            if not c['first_loss_diff_vs_tf1'] <= 1e-4:
                failures.append(f'{LABEL[v]}: first training loss from the checkpoint differs from TF1 by '
                                f'{c["first_loss_diff_vs_tf1"]}')
        if conv_diff > 0:
            failures.append(f'convert-weights differs from the checker conversion by {conv_diff}')
        if failures:
            raise ReproduceError('outside the default tolerances with the trained checkpoint:\n' + '\n'.join(failures))
        return 0
    finally:
        if work_ctx is not None:
            work_ctx.cleanup()


if __name__ == '__main__':
    try:
        sys.exit(main())
    except ReproduceError as e:
        print(f'reproduce.py: {e}', file=sys.stderr)
        sys.exit(1)
