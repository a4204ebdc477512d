"""A Keras optimizer driven by a learning-rate schedule: the checker describes it by the
schedule's current value (one training step) and says so, instead of failing."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.torch]


def test_keras_optimizer_with_schedule_is_described_by_current_rate(keras_torch):
    keras, _ = keras_torch
    from migrate.check.adapters import KerasAdapter

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    info = KerasAdapter(model, optimizer=keras.optimizers.SGD(schedule, momentum=0.5)).info()
    assert info.optimizer is not None and info.optimizer.name == "sgd"
    assert info.optimizer.lr == pytest.approx(0.1)
    assert info.optimizer.momentum == pytest.approx(0.5)
    assert any("learning-rate schedule" in n for n in info.notes)
    plain = KerasAdapter(model, optimizer=keras.optimizers.SGD(0.25)).info()
    assert plain.optimizer.lr == pytest.approx(0.25) and not any("schedule" in n for n in plain.notes)
