"""Attacks that look past the container for the host: the Docker socket, the network, and
the image's own protected files."""

from __future__ import annotations

from harness.sandbox.self_check.isolation import Attack, _probe_only


def attacks() -> list[Attack]:
    P = _probe_only
    return [
        P("docker_socket", """
            import os
            def f(x):
                return [p for p in ('/var/run/docker.sock', '/run/docker.sock',
                                    '/run/containerd/containerd.sock', '/var/run/docker',
                                    '/run/docker', '/run/containerd')
                        if os.path.exists(p)]
        """, "no docker or containerd socket inside the sandbox"),
        P("loopback_ports", """
            import socket
            def f(x):
                open_ports = []
                for port in (22, 53, 80, 443, 2375, 2376, 3000, 5000, 6379, 8000, 8080, 8888):
                    s = socket.socket()
                    s.settimeout(0.2)
                    try:
                        s.connect(('127.0.0.1', port))
                        open_ports.append(port)
                    except OSError:
                        pass
                    finally:
                        s.close()
                return open_ports
        """, "nothing listens on loopback"),
        P("outbound_network_and_dns", """
            import socket
            def f(x):
                reached = []
                for host, port, kind in (('8.8.8.8', 53, socket.SOCK_DGRAM),
                                         ('1.1.1.1', 80, socket.SOCK_STREAM),
                                         ('172.17.0.1', 2375, socket.SOCK_STREAM)):
                    s = socket.socket(socket.AF_INET, kind)
                    s.settimeout(0.5)
                    try:
                        s.connect((host, port))
                        if kind == socket.SOCK_DGRAM:
                            s.send(b'x')
                        reached.append(host)
                    except OSError:
                        pass
                    finally:
                        s.close()
                try:
                    socket.getaddrinfo('example.com', 80)
                    reached.append('dns')
                except OSError:
                    pass
                return reached
        """, "no route out, no DNS"),
        P("read_shadow_and_root", """
            import os
            def f(x):
                got = []
                for p in ('/etc/shadow', '/etc/gshadow', '/root/.bash_history', '/root'):
                    try:
                        if os.path.isdir(p):
                            os.listdir(p)
                        else:
                            open(p, 'rb').read(1)
                        got.append(p)
                    except OSError:
                        pass
                return got
        """, "/etc/shadow and /root are unreadable"),
        P("chmod_and_hardlinks", """
            import glob, os
            def f(x):
                done = []
                for p in glob.glob('/opt/sandbox/*.py') + ['/tmp', '/etc/passwd']:
                    try:
                        os.chmod(p, 0o777)
                        done.append('chmod ' + p)
                    except OSError:
                        pass
                for src in ('/etc/passwd', '/opt/sandbox/exec_server.py', '/etc/shadow'):
                    dst = '/tmp/hleak-link-' + os.path.basename(src)
                    try:
                        os.link(src, dst)
                        done.append('link ' + src)
                        os.unlink(dst)
                    except OSError:
                        pass
                return done
        """, "no chmod of the image's files, no hard link to them"),
    ]
