import socket

from service.server import serve


def test_a_port_in_use_is_refused_with_the_setting_to_change(capsys):
    """Serving on a port another process listens on stops at once, naming ROLELENS_PORT."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve({"host": "127.0.0.1", "port": port, "model_dir": "no-such-models"}) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port} is already in use" in err and "ROLELENS_PORT" in err


def test_a_refused_model_stops_start_up_with_one_line(models_dir, tmp_path, capsys):
    """Serving a models folder whose `current` leads outside it stops before listening, saying why and what to do."""
    import shutil

    outside, models = tmp_path / "elsewhere", tmp_path / "models"
    shutil.copytree((models_dir / "current").resolve(), outside)
    models.mkdir()
    (models / "current").symlink_to(outside)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert serve({"host": "127.0.0.1", "port": port, "model_dir": str(models)}) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "outside" in err and "make train" in err and "Traceback" not in err
