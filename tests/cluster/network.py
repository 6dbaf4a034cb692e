"""Test hosts on one machine: a network namespace per host, each with one veth cable into a bridge (the switch).

Each host reaches the others only by its own address on the test subnet (``10.<a>.<b>.0/24``, picked per run from
the process id so two runs never share a subnet or a name); the test process itself sits on the bridge at ``.254``
and plays the client and the outside services (Slack). ``cut(host)`` pulls a host's cable (its end on the bridge
goes down: packets are dropped, no connection is reset, as when a switch port dies) and ``restore(host)`` plugs it
back.

Needs root and ``ip`` (iproute2). ``Network.unavailable()`` says why not where that is missing, so a test can skip
with the reason. Every process started in a host is its own process group; ``close()`` kills the groups, then
deletes the namespaces, the cables and the bridge, also after a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


@dataclass
class Host:
    name: str  # also the namespace's name
    address: str
    cable: str  # the veth end on the bridge (the other end is eth0 inside the host)
    processes: list[subprocess.Popen] = field(default_factory=list)


class Network:
    def __init__(self, hosts: Sequence[str]):
        tag = f"{os.getpid() % 0xFFFF:04x}"
        octet = 100 + os.getpid() % 100
        self.prefix = f"10.{octet}.{os.getpid() % 200 + 1}"
        self.bridge = f"fbh{tag}br"
        self.gateway = f"{self.prefix}.254"  # the test process, on the bridge
        self.hosts = {
            name: Host(name=f"fbh{tag}-{name}", address=f"{self.prefix}.{index + 1}", cable=f"fbh{tag}{name}"[:15])
            for index, name in enumerate(hosts)
        }

    @staticmethod
    def unavailable() -> str | None:
        """Why this machine cannot make test hosts, or None when it can."""
        if os.geteuid() != 0:
            return "network namespaces need root (CI runs as root)"
        if shutil.which("ip") is None:
            return "iproute2's `ip` is not installed"
        probe = f"fbhprobe{os.getpid()}"
        made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
        if made.returncode != 0:
            return f"`ip netns add` is refused here: {made.stderr.strip()}"
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
        return None

    def __enter__(self) -> Network:
        try:
            self.build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def build(self) -> None:
        ip("link", "add", self.bridge, "type", "bridge")
        # Frames between the hosts never go through iptables (a machine with br_netfilter and Docker's FORWARD DROP
        # policy would drop them): the cluster's network is a plain switch.
        ip("link", "set", self.bridge, "type", "bridge", "nf_call_iptables", "0", check=False)
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for host in self.hosts.values():
            ip("netns", "add", host.name)
            ip("link", "add", host.cable, "type", "veth", "peer", "name", "eth0", "netns", host.name)
            ip("link", "set", host.cable, "master", self.bridge, "up")
            self.ip_in(host, "addr", "add", f"{host.address}/24", "dev", "eth0")
            self.ip_in(host, "link", "set", "eth0", "up")
            self.ip_in(host, "link", "set", "lo", "up")

    def ip_in(self, host: Host, *args: str) -> None:
        ip("netns", "exec", host.name, "ip", *args)

    def address(self, name: str) -> str:
        return self.hosts[name].address

    def command(self, name: str, argv: Sequence[str]) -> list[str]:
        """``argv`` as run on host ``name``: in its network namespace, with a host name of its own (a UTS namespace:
        Celery names its workers after the host, as on real machines)."""
        return ["ip", "netns", "exec", self.hosts[name].name, "unshare", "--uts", "--", "sh", "-c",
                'hostname "$0" && exec "$@"', name, *argv]  # fmt: skip

    def popen(self, name: str, argv: Sequence[str], **options) -> subprocess.Popen:
        """Start ``argv`` in host ``name`` (its own process group; the caller's env, cwd and output options)."""
        argv = self.command(name, argv)
        process = subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL, **options)
        self.hosts[name].processes.append(process)
        return process

    def run(self, name: str, argv: Sequence[str], **options) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(name, argv), **options)

    def cut(self, name: str) -> None:
        ip("link", "set", self.hosts[name].cable, "down")

    def restore(self, name: str) -> None:
        ip("link", "set", self.hosts[name].cable, "up")

    def close(self) -> None:
        for host in self.hosts.values():
            for process in host.processes:
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                with suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=10)
            self.kill_leftovers(host)
            ip("netns", "del", host.name, check=False)
            ip("link", "del", host.cable, check=False)
        ip("link", "del", self.bridge, check=False)

    @staticmethod
    def kill_leftovers(host: Host) -> None:
        """Processes still in the namespace (daemons that left their group: PostgreSQL, Redis) are killed too."""
        pids = subprocess.run(["ip", "netns", "pids", host.name], capture_output=True, text=True).stdout.split()
        for pid in pids:
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
