"""Runs moto's server on 127.0.0.1 until this process's standard input closes.

The test process that starts it holds the other end of the pipe, so however that
process ends (pass, fail, panic, kill), the server goes with it. Prints the port it
bound ("port N") once it is ready. Usage: moto_lifeline.py [PORT]  (0 = any free port)
"""
import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"port {server.get_host_and_port()[1]}", flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
