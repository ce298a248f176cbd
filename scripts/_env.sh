# Shared set-up for the scripts: a .venv in the clone, and uv to fill it from uv.lock.
# Sourced, not run. Needs only a Python 3.10+ on the machine, and works with Debian's
# own (externally managed, PEP 668) /usr/bin/python3: nothing is installed outside .venv.
#
# Which Python: $PYTHON if set, else the one .venv already has, else python3 on PATH.
# Which uv: a standalone `uv` on PATH if there is one, else uv installed into .venv by pip.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# UV_COMPILE_BYTECODE: compile at install time, so the CLI starts fast even where
# Python may not write bytecode caches (PYTHONDONTWRITEBYTECODE).
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 UV_COMPILE_BYTECODE=1
# The system's certificate store, as pip on Debian uses (a proxy's own CA is trusted there).
export UV_NATIVE_TLS=${UV_NATIVE_TLS:-1}
export UV_PROJECT_ENVIRONMENT="$PWD/.venv"
unset VIRTUAL_ENV

die() { echo "error: $*" >&2; exit 1; }

pick_python() {
    if [ -n "${PYTHON:-}" ]; then
        command -v "$PYTHON" >/dev/null || die "PYTHON=$PYTHON is not a program"
    elif [ -x .venv/bin/python ]; then
        PYTHON=.venv/bin/python
    else
        PYTHON=$(command -v python3) || die "python3 is not installed (queuectl needs Python 3.10 or newer)"
    fi
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || die "$PYTHON is Python $("$PYTHON" -c 'import platform; print(platform.python_version())'); queuectl needs 3.10 or newer (set PYTHON=/path/to/python3.X)"
    PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')
}

# Debian and Ubuntu ship venv's pip seed (ensurepip) in a package of its own.
install_venv_package() {
    local package
    package="python$(version_of "$PYTHON")-venv"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "installing $package (Debian package), which python3 -m venv needs..." >&2
        apt-get update -qq >/dev/null \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1 \
            && return
    fi
    die "$PYTHON cannot create a virtual environment: install $package (sudo apt install $package) or uv, then run this again"
}

version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }

# Keeps a working .venv of the chosen Python's version; makes one otherwise.
make_venv() {
    if [ -x .venv/bin/python ] && [ "$(version_of .venv/bin/python)" = "$(version_of "$PYTHON")" ]; then
        return
    fi
    rm -rf .venv
    if [ -n "$UV" ]; then
        "$UV" venv --quiet --seed --python "$PYTHON" .venv  # --seed: pip too, for a later run without uv
    elif ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
        rm -rf .venv
        install_venv_package
        "$PYTHON" -m venv .venv
    fi
}

pick_python
UV=$(command -v uv || true)
make_venv
if [ -z "$UV" ]; then
    if ! .venv/bin/python -m uv --version >/dev/null 2>&1; then
        echo "installing uv (the workspace's package manager) into .venv with pip..." >&2
        .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --upgrade >/dev/null
        .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
    fi
    UV=.venv/bin/uv
fi

# Installs from uv.lock into .venv, adding to what is there and removing nothing,
# so the quick start and the test script never undo each other.
sync() { "$UV" sync --locked --inexact --python .venv/bin/python "$@"; }

# The workspace's own packages are installed editable: compile their sources too.
compile_sources() { .venv/bin/python -m compileall -q -x '/\.venv/' . >/dev/null || true; }
