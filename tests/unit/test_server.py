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
