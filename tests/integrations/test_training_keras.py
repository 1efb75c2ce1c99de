"""The Keras 3 callback on a real (tiny) CPU training run, torch backend."""

from __future__ import annotations

import os

import pytest

from .training_helpers import check_forecast, check_stored_run

# Importing the framework alone takes seconds.
pytestmark = pytest.mark.slow


def test_keras_callback_stores_epochs_and_forecasts(monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("KERAS_BACKEND", "torch") != "torch":
        pytest.skip("KERAS_BACKEND names another backend")
    monkeypatch.setenv("KERAS_BACKEND", "torch")  # read when keras is first imported
    keras = pytest.importorskip("keras")
    import numpy as np

    from wattlens.integrations.training.keras import WattlensKerasCallback

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4096, 64)).astype("float32")
    y = rng.standard_normal((4096, 1)).astype("float32")
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    callback = WattlensKerasCallback("keras-test", forecast_after=2)
    model.fit(x, y, epochs=4, batch_size=256, verbose=0, callbacks=[callback])
    tm = callback.meter
    check_stored_run(tm, 4)
    check_forecast(tm, 4, warmup=1, after=2)
    assert [e.steps for e in tm.epochs] == [16] * 4  # 4096 / 256 batches
