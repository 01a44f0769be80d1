"""Model files: round trip, and a clear WeightsError for every kind of broken or foreign file."""

import errno
import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from tsheads.errors import WeightsError
from tsheads.nn.weights import load_model, read_config, save_model
from tsheads.pretrained import available, load_pretrained, pretrained_path


@pytest.fixture
def saved(tmp_path, tiny_model):
    model = tiny_model()
    save_model(model, tmp_path / "m", meta={"note": "test"})
    return model, tmp_path / "m"


def test_round_trip_gives_identical_outputs(saved):
    model, stem = saved
    loaded = load_model(stem)
    x = torch.randn(3, 1, 64)
    obs = torch.ones_like(x, dtype=torch.bool)
    with torch.no_grad():
        assert torch.equal(model.forecast(x, obs, 12)[0], loaded.forecast(x, obs, 12)[0])
    assert read_config(stem)[1] == {"note": "test"}
    assert load_model(str(stem) + ".safetensors").config == model.config  # either file name works


def test_missing_files(tmp_path, saved):
    _, stem = saved
    with pytest.raises(WeightsError, match="not found"):
        load_model(tmp_path / "nothing")
    stem.with_suffix(".safetensors").unlink()
    with pytest.raises(WeightsError, match="not found"):
        load_model(stem)


def _drop_checksum(stem) -> None:
    """Make the config like one saved before checksums, so the deeper checks are the ones tested."""
    import json

    path = stem.with_suffix(".json")
    config = json.loads(path.read_text())
    config.pop("tensors_sha256")
    path.write_text(json.dumps(config))


@pytest.mark.parametrize("checksum", [True, False])
@pytest.mark.parametrize("cut", [0, 10, 200])
def test_truncated_or_garbage_tensor_file(saved, cut, checksum):
    _, stem = saved
    if not checksum:
        _drop_checksum(stem)
    path = stem.with_suffix(".safetensors")
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut else b"\x80\x04 not a safetensors file")
    with pytest.raises(WeightsError, match="checksum" if checksum else "corrupt"):
        load_model(stem)


def test_pickle_file_is_refused_without_being_executed(saved, tmp_path):
    _, stem = saved
    marker = tmp_path / "executed"
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    stem.with_suffix(".safetensors").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(WeightsError):
        load_model(stem)
    assert not marker.exists()


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(format="something-else"), "not a tsheads model"),
    (lambda d: d.update(format_version=99), "format version"),
    (lambda d: d.update(architecture="Other"), "unknown architecture 'Other'"),
    (lambda d: d.update(architecture="WTAModel"), "not a DualSpaceModel"),
    (lambda d: d["config"].update(d_model=32), "shape"),
    (lambda d: d["config"].update(n_layers=3), "does not match"),
    (lambda d: d["config"].update(surprise=1), "unknown encoder config"),
    (lambda d: d["config"].update(patch_length=0), "positive integer"),
    (lambda d: d["config"].update(n_layers=1.5), "positive integer"),
    (lambda d: d["config"].update(dropout=2.0), "dropout"),
    (lambda d: d["config"].update(quantiles="0.5"), "quantiles"),
    (lambda d: d.update(config=[1, 2]), "JSON object"),
    (lambda d: d.update(meta="x"), "meta"),
])
def test_config_that_does_not_match_the_tensors(saved, edit, message):
    _, stem = saved
    path = stem.with_suffix(".json")
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(WeightsError, match=message):
        load_model(stem)


def test_config_that_is_not_json(saved):
    _, stem = saved
    stem.with_suffix(".json").write_bytes(b"\xff\xfe{{")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load_model(stem)


def test_non_finite_weights(saved):
    model, stem = saved
    _drop_checksum(stem)  # with it, the changed file is already refused by the checksum
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["encoder.time_embed.weight"][0, 0] = float("nan")
    save_file(state, str(stem.with_suffix(".safetensors")))
    with pytest.raises(WeightsError, match="NaN"):
        load_model(stem)


def test_bundled_model_loads_offline():
    assert "tsheads-encoder-v1" in available()
    model = load_pretrained()
    assert not model.training
    assert 0.8e6 < model.n_parameters() < 1.2e6
    with pytest.raises(WeightsError, match="no bundled model"):
        pretrained_path("nope")


def test_tensors_changed_after_saving_are_refused_by_checksum(tmp_path, tiny_model):
    import json

    stem = tmp_path / "m"
    save_model(tiny_model(), stem)
    tensors = tmp_path / "m.safetensors"
    data = bytearray(tensors.read_bytes())
    data[-3] ^= 0x01  # one bit of one weight: still a valid float, still a valid file
    tensors.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="checksum"):
        load_model(stem)
    config = json.loads((tmp_path / "m.json").read_text())
    config.pop("tensors_sha256")  # a file saved before checksums: loads as before
    (tmp_path / "m.json").write_text(json.dumps(config))
    assert load_model(stem) is not None


def test_unwritable_save_paths_raise_one_output_error_before_writing(tmp_path, tiny_model, monkeypatch):
    from tsheads.errors import OutputError, TsheadsError
    from tsheads.nn.weights import check_save_path

    model = tiny_model()
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(OutputError, match="afile is a file, not a folder"):
        save_model(model, afile / "m")
    with pytest.raises(TsheadsError, match="names a folder, not a file stem"):
        save_model(model, tmp_path / "..")
    (tmp_path / "m.json").mkdir()
    with pytest.raises(OutputError, match="m.json is a directory"):
        check_save_path(tmp_path / "m")
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked and real_access(path, mode))
    with pytest.raises(OutputError, match="not writable"):
        save_model(model, locked / "sub" / "m")  # the nearest existing folder is read-only
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["afile"]


def test_a_full_disk_keeps_the_older_model_and_leaves_no_partial_file(saved, tiny_model, monkeypatch):
    from tsheads.errors import OutputError

    model, stem = saved
    before = sorted(p.read_bytes() for p in stem.parent.iterdir())

    def full_disk(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        save_model(tiny_model(seed=1), stem)  # the tensors are written, the config is not: neither is published
    assert sorted(p.read_bytes() for p in stem.parent.iterdir()) == before
    monkeypatch.undo()
    assert load_model(stem).config == model.config
