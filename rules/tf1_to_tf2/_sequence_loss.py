"""TF2120: `tf.contrib.seq2seq.sequence_loss` in session code is a plain tensor op.

Not a rule module. TF2140 (tf1_losses.py) rewrites a call with the default reduction into
its TF2 formula (sparse softmax cross-entropy times the weights, summed, divided by the sum
of the weights); such a call makes no variables and reads no collection, so TF2120 treats
it as any other tensor statement instead of refusing the file for its `tf.contrib` name.
Calls TF2140 leaves alone keep TF2120's refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from rules.tf1_to_tf2.tf1_losses import SEQUENCE_LOSS, sequence_loss_args

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis


def allow(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    funcs = {id(n) for n, r in refs if r == SEQUENCE_LOSS}
    if not funcs:
        return
    from rules.tf1_to_tf2._graph import walk

    for n in walk(an.module):
        if isinstance(n, cst.Call) and id(n.func) in funcs and sequence_loss_args(n, an.rest) is not None:
            an.allowed_refs.add(id(n.func))
            an.pure_calls.add(id(n))
