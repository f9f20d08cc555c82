#!/usr/bin/env bash
# Compiles every kernels/*.cu to PTX with NVRTC, as the engine does: precision.cuh's text and a newline
# are prepended (with #line directives, as KernelSources.Combine does); options --std=c++17
# -arch=compute_XY (no fast-math), for compute_80 and compute_90.
# Needs only python3 and an NVRTC shared library (Debian: tools/install-nvrtc.sh gives libnvrtc.so.11.2;
# set NVRTC_LIB to use another). Prints the entry points found in each PTX; exits non-zero on any
# compile error, warning or #include. PTX_DIR=dir also writes each PTX there.
# The C# CI test (KernelCompiler) is the check that gates CI; this is the quick one for whoever edits
# a kernel.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
exec python3 - "$@" <<'PY'
import ctypes, glob, os, re, sys

lib_name = os.environ.get("NVRTC_LIB", "libnvrtc.so.11.2")
try:
    nvrtc = ctypes.CDLL(lib_name)
except OSError as e:
    sys.exit(f"check.sh: cannot load NVRTC '{lib_name}': {e}")
nvrtc.nvrtcGetErrorString.restype = ctypes.c_char_p

def call(name, *args):
    status = getattr(nvrtc, name)(*args)
    if status != 0:
        raise RuntimeError(f"{name} failed: {nvrtc.nvrtcGetErrorString(status).decode()} ({status})")

def compile_ptx(name, text, arch):
    prog = ctypes.c_void_p()
    call("nvrtcCreateProgram", ctypes.byref(prog), text.encode(), name.encode(), 0, None, None)
    opts = [b"--std=c++17", f"-arch={arch}".encode()]
    arr = (ctypes.c_char_p * len(opts))(*opts)
    status = nvrtc.nvrtcCompileProgram(prog, len(opts), arr)
    size = ctypes.c_size_t()
    call("nvrtcGetProgramLogSize", prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    call("nvrtcGetProgramLog", prog, log)
    ptx = b""
    if status == 0:
        call("nvrtcGetPTXSize", prog, ctypes.byref(size))
        buf = ctypes.create_string_buffer(size.value)
        call("nvrtcGetPTX", prog, buf)
        ptx = buf.value
    call("nvrtcDestroyProgram", ctypes.byref(prog))
    return status, log.value.decode(errors="replace").strip(), ptx.decode()

major, minor = ctypes.c_int(), ctypes.c_int()
call("nvrtcVersion", ctypes.byref(major), ctypes.byref(minor))
print(f"NVRTC {major.value}.{minor.value} ({lib_name})")
header = open("precision.cuh", encoding="utf-8").read()
files = sys.argv[1:] or sorted(glob.glob("*.cu"))
failed = False
for path in files:
    source = open(path, encoding="utf-8").read()
    if re.search(r"^\s*#\s*include", source, re.M):
        print(f"FAIL {path}: contains #include (the host prepends precision.cuh instead)")
        failed = True
        continue
    for arch in ("compute_80", "compute_90"):
        # The same text KernelSources.Combine hands to NVRTC: #line directives keep messages' file/line right.
        text = f'#line 1 "precision.cuh"\n{header}\n#line 1 "{os.path.basename(path)}"\n{source}'
        status, log, ptx = compile_ptx(os.path.basename(path), text, arch)
        if os.environ.get("PTX_DIR"):
            os.makedirs(os.environ["PTX_DIR"], exist_ok=True)
            with open(os.path.join(os.environ["PTX_DIR"], f"{os.path.splitext(os.path.basename(path))[0]}.{arch}.ptx"), "w") as f:
                f.write(ptx)
        entries = re.findall(r"^\.visible \.entry (\w+)\(", ptx, re.M)
        if status != 0 or log:
            print(f"FAIL {path} [{arch}] status {status}\n{log}")
            failed = True
        else:
            print(f"ok   {path} [{arch}] {len(ptx)} bytes PTX, {len(entries)} entries: {' '.join(entries)}")
sys.exit(1 if failed else 0)
PY
