"""Shared helpers: running commands, statistics, the machine, Debian packages of the peers."""
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else 'python3'

# Debian packages per peer, installed only when that peer is requested and missing.
PEER_PACKAGES = {
    'pgrouting': ['postgresql-15', 'postgresql-15-postgis-3', 'postgresql-15-pgrouting', 'python3-psycopg2',
                  'gdal-bin', 'osm2pgrouting', 'osmium-tool'],
    'qgis': ['qgis', 'qgis-providers'],
    'grass': ['grass-core'],
    'networkx': ['python3-networkx'],
    'scipy': ['python3-scipy'],
    'igraph': ['python3-igraph'],
    'cbc': ['coinor-cbc'],
    'glpk': ['glpk-utils'],
}
ALL_PEERS = list(PEER_PACKAGES)


def log(msg):
    print(f'bench: {msg}', flush=True)


def missing_packages(pkgs):
    out = []
    for p in pkgs:
        r = subprocess.run(['dpkg-query', '-W', '-f=${Status}', p], capture_output=True, text=True)
        if 'install ok installed' not in r.stdout:
            out.append(p)
    return out


def install_peers(peers):
    """Install the Debian packages of the requested peers that are missing. Returns a dict
    peer -> error text for the peers whose packages could not be installed."""
    need = sorted({p for peer in peers for p in missing_packages(PEER_PACKAGES.get(peer, []))})
    if not need:
        return {}
    log(f'installing {" ".join(need)} (apt-get, only what is missing)')
    sudo = [] if os.geteuid() == 0 else ['sudo']
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(sudo + ['apt-get', 'update', '-qq'], env=env)
    r = subprocess.run(sudo + ['apt-get', 'install', '-y', '-qq', '--no-install-recommends'] + need, env=env,
                       capture_output=True, text=True)
    errors = {}
    if r.returncode != 0:
        last = (r.stderr or r.stdout).strip().splitlines()[-1:] or ['apt-get failed']
        for peer in peers:
            if missing_packages(PEER_PACKAGES.get(peer, [])):
                errors[peer] = f'apt-get install failed: {last[0]}'
    return errors


def run(cmd, timeout=None, env=None, cwd=None):
    """Run a command; returns (wall seconds, stdout, peak RSS of the child in KiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise RuntimeError(f'{os.path.basename(cmd[0])} timed out after {timeout} s')
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        msg = (err or out).strip().splitlines()
        raise RuntimeError(f'{" ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd[:2]))} '
                           f'exited {p.returncode}: {msg[-1] if msg else ""}')
    return wall, out, None


def run_json(cmd, **kw):
    wall, out, _ = run(cmd, **kw)
    line = [x for x in out.splitlines() if x.startswith('{')][-1]
    return wall, json.loads(line)


def stats(v):
    v = [float(x) for x in v]
    return {'median': statistics.median(v), 'min': min(v), 'max': max(v), 'runs': len(v)}


def machine():
    cpu = 'unknown'
    try:
        for line in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines():
            if line.startswith('Model name:'):
                cpu = line.split(':', 1)[1].strip()
    except OSError:
        pass
    mem = 0
    with open('/proc/meminfo') as fh:
        for line in fh:
            if line.startswith('MemTotal:'):
                mem = int(line.split()[1]) * 1024
    osname = platform.platform()
    try:
        with open('/etc/os-release') as fh:
            for line in fh:
                if line.startswith('PRETTY_NAME='):
                    osname = line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    return {'cpu': cpu, 'cores': os.cpu_count(), 'load_average': [round(x, 2) for x in os.getloadavg()], 'memory_gib': round(mem / 2**30, 1), 'os': osname,
            'host': socket.gethostname(), 'compiler': _cc_version()}


def _cc_version():
    try:
        return subprocess.run(['cc', '--version'], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return 'unknown'


def git_sha():
    try:
        return subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'], capture_output=True,
                              text=True).stdout.strip() or 'unknown'
    except OSError:
        return 'unknown'


def which(name):
    return shutil.which(name)
