#!/usr/bin/env python3
"""PyTorch baseline for CudaGenre models: exactness check and GPU timings.

Reads a CudaGenre model file (model.safetensors: the PyTorch state_dict plus the model spec in the
safetensors metadata), builds the same network from torchvision / timm / a small nn.Module, and

  * loads the weights strictly (no missing, unexpected, mistyped or misshaped tensors);
  * with --reference, checks PyTorch's eval-mode FP32 logits (TF32 off) against the bundle's stored
    logits (the trainer's): PASS when the relative L2 error is <= 1e-4 and every top-1 class agrees;
  * with --engine-logits, checks the CUDA engine's logits for the bundle's inputs against PyTorch's;
  * times PyTorch eager and torch.compile(mode="reduce-overhead") per precision (fp32 without TF32,
    tf32, fp16, bf16) and batch size, prints a table and writes every figure as JSON (--json).

With --random ARCH it instead writes a model with seeded random weights and a reference bundle of
random inputs with CPU logits, in the same formats the .NET trainer writes, so a machine without
.NET can make test models.

The file formats follow src/CudaGenre.Core/Models/ModelFile.cs, ModelSpec.cs and ReferenceBundle.cs;
the module names follow Architectures.cs. Exit code 0: every check passed; 1: a check failed or an
input file is unusable; 2: bad command line. A failing benchmark row (e.g. torch.compile not
working) is reported in the table and the JSON but does not change the exit code.

Needs: Python 3.9+, torch, numpy (only for --engine-logits), safetensors; torchvision for the ResNets
and timm for Xception (imported only when needed).
"""

from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

# --------------------------------------------------------------------------------------------------
# File formats (mirrors of the C# definitions; keep in step with them)
# --------------------------------------------------------------------------------------------------

MODEL_FORMAT = "cudagenre-model/1"          # ModelFile.FormatTag
REFERENCE_FORMAT = "cudagenre-reference/1"  # ReferenceBundle.FormatTag
FORMAT_KEY = "format"                       # ModelFile.FormatKey
SPEC_KEY = "spec"                           # ModelFile.SpecKey

ARCHITECTURES = ("cnn", "resnet18", "resnet50", "xception")  # ArchitectureNames.Name
HEADS = ("linear", "dense")
GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
XCEPTION_MEAN_STD = [0.5, 0.5, 0.5]  # timm legacy_xception's normalization
CNN_DEFAULT_WIDTHS = [32, 64, 128]

# The JSON properties of ModelSpecDocument, in the order ModelSpec.ToJson writes them.
SPEC_FIELDS = ("architecture", "head", "inputChannels", "inputHeight", "inputWidth", "mean", "std",
               "classNames", "denseUnits", "dropoutRate", "cnnWidths", "trainerVersion", "splitHash")

# The engine's FP32 contract (ReferenceComparison.Fp32Tolerance).
FP32_TOLERANCE = 1e-4

PRECISIONS = ("fp32", "tf32", "fp16", "bf16")
MODES = ("eager", "compile")


class CheckFailed(Exception):
    """A file is unusable or a check failed: reported as one line, exit code 1."""


def default_spec(architecture: str, head: str = "linear") -> dict:
    """ModelSpec.Default: the architecture's standard input size and normalization, 10 genres."""
    spec = {
        "architecture": architecture, "head": head, "inputChannels": 3,
        "inputHeight": 224, "inputWidth": 224,
        "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD), "classNames": list(GENRES),
        "denseUnits": 512, "dropoutRate": 0.5, "cnnWidths": list(CNN_DEFAULT_WIDTHS),
        "trainerVersion": None, "splitHash": None,
    }
    if architecture == "cnn":
        spec["inputHeight"], spec["inputWidth"] = 144, 216
    elif architecture == "xception":
        spec["inputHeight"], spec["inputWidth"] = 299, 299
        spec["mean"], spec["std"] = list(XCEPTION_MEAN_STD), list(XCEPTION_MEAN_STD)
    return spec


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def parse_spec(text: str, where: str) -> dict:
    """ModelSpec.FromJson plus CheckFields, except that an unknown property is an error here.

    The C# reader silently skips unknown properties; this script refuses them, because a field it
    does not know may change the network (a newer spec version) and the comparison would be wrong.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise CheckFailed(f"{where}: the spec is not valid JSON ({e})")
    if not isinstance(doc, dict):
        raise CheckFailed(f"{where}: the spec is a JSON {type(doc).__name__}, not an object")
    unknown = [k for k in doc if k not in SPEC_FIELDS]
    if unknown:
        raise CheckFailed(f"{where}: the spec has fields this script does not know: {', '.join(unknown)} "
                          f"(known: {', '.join(SPEC_FIELDS)}); update pytorch_compare.py for this spec version")

    def bad(problem):
        return CheckFailed(f"{where}: invalid model spec: {problem}")

    arch = doc.get("architecture")
    if not isinstance(arch, str) or arch.lower() not in ARCHITECTURES:
        raise bad(f"unknown architecture {arch!r} (known: {', '.join(ARCHITECTURES)})")
    head = doc.get("head")
    if head is None:
        head = "linear"
    if not isinstance(head, str) or head.lower() not in HEADS:
        raise bad(f"unknown head {head!r} (known: {', '.join(HEADS)})")
    if doc.get("inputHeight") is None or doc.get("inputWidth") is None:
        raise bad("inputHeight and inputWidth are required")

    spec = default_spec(arch.lower(), head.lower())
    # Absent or null fields keep their defaults, as in FromJson (mean/std default to ImageNet's, also for Xception).
    spec["mean"], spec["std"] = list(IMAGENET_MEAN), list(IMAGENET_STD)
    for key in SPEC_FIELDS[2:]:
        if doc.get(key) is not None:
            spec[key] = doc[key]

    for key in ("inputChannels", "inputHeight", "inputWidth", "denseUnits"):
        if not _is_int(spec[key]) or spec[key] <= 0:
            raise bad(f"{key} must be a positive integer, got {spec[key]!r}")
    c = spec["inputChannels"]
    for key in ("mean", "std"):
        v = spec[key]
        if not isinstance(v, list) or len(v) != c or not all(_is_number(x) for x in v):
            raise bad(f"{key} must be {c} finite numbers (one per input channel), got {v!r}")
    if any(s <= 0 for s in spec["std"]):
        raise bad(f"std must be positive, got {spec['std']}")
    names = spec["classNames"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise bad("classNames must be a non-empty list of non-empty strings")
    if len(set(names)) != len(names):
        raise bad("classNames has duplicates")
    if not _is_number(spec["dropoutRate"]) or not 0 <= spec["dropoutRate"] < 1:
        raise bad(f"dropoutRate must be in [0, 1), got {spec['dropoutRate']!r}")
    widths = spec["cnnWidths"]
    if not isinstance(widths, list) or not widths or not all(_is_int(w) and w > 0 for w in widths):
        raise bad(f"cnnWidths must be a non-empty list of positive integers, got {widths!r}")
    for key in ("trainerVersion", "splitHash"):
        if spec[key] is not None and not isinstance(spec[key], str):
            raise bad(f"{key} must be a string or null")
    return spec


def spec_to_json(spec: dict) -> str:
    """ModelSpec.ToJson: compact camelCase JSON, nulls left out, cnnWidths only for the CNN."""
    doc = {}
    for key in SPEC_FIELDS:
        value = spec.get(key)
        if value is None or (key == "cnnWidths" and spec["architecture"] != "cnn"):
            continue
        doc[key] = value
    return json.dumps(doc, separators=(",", ":"))


def describe(spec: dict) -> str:
    """ModelSpec.Describe, e.g. 'resnet50/linear 3x224x224, 10 classes'."""
    return (f"{spec['architecture']}/{spec['head']} {spec['inputChannels']}x{spec['inputHeight']}x"
            f"{spec['inputWidth']}, {len(spec['classNames'])} classes")


def _safetensors():
    try:
        import safetensors  # noqa: F401
        from safetensors import safe_open
        from safetensors.torch import save_file
    except ImportError:
        raise CheckFailed("the 'safetensors' package is not installed (pip install safetensors)")
    return safe_open, save_file


def read_safetensors(path: str) -> tuple[dict, dict]:
    """All tensors (CPU) and the metadata dict of a safetensors file."""
    safe_open, _ = _safetensors()
    if not os.path.isfile(path):
        raise CheckFailed(f"{path}: no such file")
    try:
        with safe_open(path, framework="pt", device="cpu") as f:
            metadata = dict(f.metadata() or {})
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except CheckFailed:
        raise
    except Exception as e:  # the library's own errors: not safetensors, truncated, ...
        raise CheckFailed(f"{path}: not a readable safetensors file ({type(e).__name__}: {e})")
    return tensors, metadata


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_model_file(path: str) -> tuple[dict, dict]:
    """ModelFile.Read: format tag, spec, tensors. Returns (spec, state_dict)."""
    tensors, metadata = read_safetensors(path)
    fmt = metadata.get(FORMAT_KEY)
    if fmt is None:
        raise CheckFailed(f"{path}: not a CudaGenre model file: the safetensors metadata has no '{FORMAT_KEY}' key")
    if fmt != MODEL_FORMAT:
        raise CheckFailed(f"{path}: not a CudaGenre model file: format is '{fmt}', expected '{MODEL_FORMAT}'")
    if SPEC_KEY not in metadata:
        raise CheckFailed(f"{path}: the model file has no '{SPEC_KEY}' metadata")
    extra = sorted(set(metadata) - {FORMAT_KEY, SPEC_KEY})
    if extra:
        # ModelFile.Write keeps other metadata, so this is allowed, just unusual.
        print(f"note: {path} has extra metadata keys: {', '.join(extra)}")
    return parse_spec(metadata[SPEC_KEY], path), tensors


def write_model_file(path: str, spec: dict, state_dict: dict) -> None:
    """ModelFile.Write: the state_dict (F32, num_batches_tracked I64) with exactly 'format' and 'spec'."""
    _, save_file = _safetensors()
    tensors = {}
    for name, t in state_dict.items():
        t = t.detach().cpu().contiguous()
        expected = torch.int64 if name.endswith("num_batches_tracked") else torch.float32
        if t.dtype != expected:
            raise CheckFailed(f"cannot write {path}: tensor '{name}' is {t.dtype}, expected {expected}")
        tensors[name] = t.clone()  # own storage: safetensors refuses tensors that share memory
    save_file(tensors, path, metadata={FORMAT_KEY: MODEL_FORMAT, SPEC_KEY: spec_to_json(spec)})


def read_reference(path: str) -> dict:
    """ReferenceBundle.Read: inputs F32 [N,C,H,W], labels I64 [N], logits F32 [N,classes], metadata."""
    tensors, meta = read_safetensors(path)
    fmt = meta.get(FORMAT_KEY)
    if fmt != REFERENCE_FORMAT:
        raise CheckFailed(f"{path}: not a CudaGenre reference bundle: format is "
                          f"{'missing' if fmt is None else repr(fmt)}, expected '{REFERENCE_FORMAT}'")
    for key in (SPEC_KEY, "sources", "split"):
        if key not in meta:
            raise CheckFailed(f"{path}: the reference bundle has no '{key}' metadata")
    spec = parse_spec(meta[SPEC_KEY], path)
    try:
        sources = json.loads(meta["sources"])
    except json.JSONDecodeError as e:
        raise CheckFailed(f"{path}: the 'sources' metadata is not a JSON list of strings ({e})")
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise CheckFailed(f"{path}: the 'sources' metadata is not a JSON list of strings")
    if not meta["split"].strip():
        raise CheckFailed(f"{path}: the 'split' metadata is empty")

    extra = sorted(set(tensors) - {"inputs", "labels", "logits"})
    if extra:
        raise CheckFailed(f"{path}: unexpected tensors in a reference bundle: {', '.join(extra)}")
    for name, dtype in (("inputs", torch.float32), ("labels", torch.int64), ("logits", torch.float32)):
        if name not in tensors:
            raise CheckFailed(f"{path}: the reference bundle has no '{name}' tensor")
        if tensors[name].dtype != dtype:
            raise CheckFailed(f"{path}: tensor '{name}' is {tensors[name].dtype}, expected {dtype}")
    inputs, labels, logits = tensors["inputs"], tensors["labels"], tensors["logits"]
    if labels.dim() != 1 or labels.shape[0] < 1:
        raise CheckFailed(f"{path}: tensor 'labels' has shape {list(labels.shape)}, expected [N] with N >= 1")
    n, classes = labels.shape[0], len(spec["classNames"])
    want = [n, spec["inputChannels"], spec["inputHeight"], spec["inputWidth"]]
    if list(inputs.shape) != want:
        raise CheckFailed(f"{path}: tensor 'inputs' has shape {list(inputs.shape)}, expected {want}")
    if list(logits.shape) != [n, classes]:
        raise CheckFailed(f"{path}: tensor 'logits' has shape {list(logits.shape)}, expected {[n, classes]}")
    if sources and len(sources) != n:
        raise CheckFailed(f"{path}: {len(sources)} source names for {n} inputs")
    if bool(((labels < 0) | (labels >= classes)).any()):
        raise CheckFailed(f"{path}: a label is not a class index (0..{classes - 1})")
    if not bool(torch.isfinite(inputs).all()) or not bool(torch.isfinite(logits).all()):
        raise CheckFailed(f"{path}: inputs or logits hold NaN or infinity")
    return {"spec": spec, "split": meta["split"], "sources": sources, "inputs": inputs, "labels": labels,
            "logits": logits, "model_sha256": meta.get("model_sha256")}


def write_reference(path: str, spec: dict, split: str, inputs, labels, logits, model_sha256=None) -> None:
    """ReferenceBundle.Write: three tensors; format, split, sources, spec and optional model_sha256."""
    _, save_file = _safetensors()
    meta = {FORMAT_KEY: REFERENCE_FORMAT, "split": split, "sources": "[]", SPEC_KEY: spec_to_json(spec)}
    if model_sha256 is not None:
        meta["model_sha256"] = model_sha256
    save_file({"inputs": inputs.detach().cpu().float().contiguous(),
               "labels": labels.detach().cpu().long().contiguous(),
               "logits": logits.detach().cpu().float().contiguous()}, path, metadata=meta)


# --------------------------------------------------------------------------------------------------
# The networks (state_dict names must equal ModelGraph.StateDict for the spec)
# --------------------------------------------------------------------------------------------------

class GenreCnn(nn.Module):
    """Architectures.Cnn: per width Conv3x3(pad 1, bias) -> ReLU -> MaxPool2x2 under 'features',
    global average pool, head under 'classifier'."""

    def __init__(self, in_channels: int, widths, head: nn.Module):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=True), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2)]
            c = w
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.classifier = head

    def forward(self, x):
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


def make_head(spec: dict, features: int) -> nn.Module:
    """Architectures.Head: Linear, or Sequential(Linear, ReLU, Dropout, Linear) -> '.0' and '.3'."""
    classes = len(spec["classNames"])
    if spec["head"] == "linear":
        return nn.Linear(features, classes)
    return nn.Sequential(nn.Linear(features, spec["denseUnits"]), nn.ReLU(inplace=True),
                         nn.Dropout(spec["dropoutRate"]), nn.Linear(spec["denseUnits"], classes))


def build_module(spec: dict) -> tuple[nn.Module, dict]:
    """The PyTorch network of a spec (default init, train mode). Also returns where it came from."""
    arch, classes, c = spec["architecture"], len(spec["classNames"]), spec["inputChannels"]
    info = {"builder": None, "timm_model": None}
    if arch == "cnn":
        model = GenreCnn(c, spec["cnnWidths"], make_head(spec, spec["cnnWidths"][-1]))
        info["builder"] = "pytorch_compare.GenreCnn"
    elif arch in ("resnet18", "resnet50"):
        try:
            import torchvision
        except ImportError:
            raise CheckFailed(f"{arch} needs torchvision, which is not installed")
        factory = getattr(torchvision.models, arch)
        try:
            model = factory(weights=None, num_classes=classes)
        except TypeError:  # torchvision < 0.13 has no 'weights'
            model = factory(pretrained=False, num_classes=classes)
        if c != 3:
            model.conv1 = nn.Conv2d(c, 64, kernel_size=7, stride=2, padding=3, bias=False)
        if spec["head"] == "dense":
            model.fc = make_head(spec, model.fc.in_features)
        info["builder"] = f"torchvision.models.{arch}"
    elif arch == "xception":
        try:
            import timm
        except ImportError:
            raise CheckFailed("xception needs timm, which is not installed")
        model, errors = None, []
        # 'legacy_xception' since timm 0.9; before, the same network (Cadene's port) was 'xception'.
        for name in ("legacy_xception", "xception"):
            try:
                model = timm.create_model(name, pretrained=False, num_classes=classes, in_chans=c)
                info["timm_model"] = name
                break
            except Exception as e:  # unknown model name, or a deprecation path that fails
                errors.append(f"{name}: {type(e).__name__}: {e}")
        if model is None:
            raise CheckFailed(f"timm {timm.__version__} has no Xception this script knows: {'; '.join(errors)}")
        if spec["head"] == "dense":
            model.fc = make_head(spec, model.num_features)
        info["builder"] = f"timm.create_model('{info['timm_model']}')"
    else:
        raise CheckFailed(f"unknown architecture {arch!r}")
    return model, info


def load_strict(model: nn.Module, state_dict: dict, where: str) -> None:
    """Loads the tensors, refusing anything missing, extra, misshaped or of the wrong dtype.

    load_state_dict(strict=True) would already catch names and shapes but silently casts dtypes
    (an F16 file would load), and it stops at the first kind of problem; this lists them all."""
    expected = model.state_dict()
    problems = []
    for name, t in expected.items():
        if name not in state_dict:
            problems.append(f"missing '{name}' ({t.dtype} {list(t.shape)})")
        elif list(state_dict[name].shape) != list(t.shape):
            problems.append(f"'{name}' has shape {list(state_dict[name].shape)}, expected {list(t.shape)}")
        elif state_dict[name].dtype != t.dtype:
            problems.append(f"'{name}' is {state_dict[name].dtype}, expected {t.dtype}")
    problems += [f"unexpected '{name}'" for name in state_dict if name not in expected]
    if problems:
        shown = "; ".join(problems[:12]) + (f"; and {len(problems) - 12} more" if len(problems) > 12 else "")
        raise CheckFailed(f"{where}: the weights do not fit the PyTorch module: {shown}")
    result = model.load_state_dict(state_dict, strict=True)
    if result.missing_keys or result.unexpected_keys:  # cannot happen after the checks above
        raise CheckFailed(f"{where}: strict load reported {result}")


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------------

def compare_logits(actual: torch.Tensor, expected: torch.Tensor) -> dict:
    """ReferenceComparison's figures: relative L2 over all logits, largest |difference|, top-1 agreements."""
    a, e = actual.detach().double().cpu(), expected.detach().double().cpu()
    diff = a - e
    rel = math.sqrt(float((diff * diff).sum()) / max(float((e * e).sum()), sys.float_info.min))
    if not math.isfinite(rel):
        rel = float("inf")
    agree = int((a.argmax(dim=1) == e.argmax(dim=1)).sum())  # first maximum wins, as in Classification.ArgMax
    return {"count": int(e.shape[0]), "rel_l2": rel, "max_abs": float(diff.abs().max()),
            "top1_agree": agree, "max_abs_logit": float(e.abs().max())}


def passes(result: dict, tolerance: float) -> bool:
    return result["rel_l2"] <= tolerance and result["top1_agree"] == result["count"]


def format_comparison(r: dict) -> str:
    return (f"rel L2 {r['rel_l2']:.3e}, max |diff| {r['max_abs']:.3e} (logits up to {r['max_abs_logit']:.3g}), "
            f"top-1 {r['top1_agree']}/{r['count']}")


def set_tf32(enabled: bool) -> None:
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled


@torch.no_grad()
def fp32_logits(model: nn.Module, inputs: torch.Tensor, device: torch.device, batch: int = 16) -> torch.Tensor:
    """Eval-mode FP32 logits with TF32 off and deterministic cuDNN algorithm choice, in batches of 16
    like the engine's verify. Restores the global flags afterwards."""
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark)
    set_tf32(False)
    torch.backends.cudnn.benchmark = False
    try:
        model = model.to(device).float().eval()
        out = [model(inputs[i:i + batch].to(device)).float().cpu() for i in range(0, inputs.shape[0], batch)]
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = saved
    return torch.cat(out)


def load_engine_logits(path: str, n: int, classes: int) -> torch.Tensor:
    """The engine's logits: .npy (any float dtype) or raw little-endian float32 (.bin or anything else)."""
    import numpy as np
    if not os.path.isfile(path):
        raise CheckFailed(f"{path}: no such file")
    if path.endswith(".npy"):
        array = np.load(path, allow_pickle=False)
        if array.dtype.kind != "f":
            raise CheckFailed(f"{path}: dtype {array.dtype}, expected floating point")
    else:
        size = os.path.getsize(path)
        if size % 4:
            raise CheckFailed(f"{path}: {size} bytes is not a whole number of float32 values")
        array = np.fromfile(path, dtype="<f4")
    if array.size != n * classes:
        raise CheckFailed(f"{path}: {array.size} values, expected {n} inputs x {classes} classes = {n * classes}")
    logits = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32).reshape(n, classes))
    if not bool(torch.isfinite(logits).all()):
        raise CheckFailed(f"{path}: the engine's logits hold NaN or infinity")
    return logits


# --------------------------------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------------------------------

DTYPES = {"fp32": torch.float32, "tf32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def reset_dynamo() -> None:
    try:
        import torch._dynamo
        torch._dynamo.reset()
    except ImportError:  # torch < 2.0: no torch.compile either
        pass


def iterations_for(batch: int, iterations: int, minimum: int) -> int:
    """The batch-1 count, scaled down for big batches (whose calls take far longer and vary far less):
    200 at batch 1 gives 25 at 64 and 20 (the minimum) at 256."""
    if batch <= 1:
        return iterations
    return max(minimum, min(iterations, iterations * 8 // batch))


def percentile(sorted_values, q: float) -> float:
    """Nearest-rank percentile (p99 of 200 samples is the 198th smallest; of 100 or fewer, the largest)."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def time_forward(fn, x, iterations: int, warmup: int, device: torch.device) -> dict:
    """Two passes. Latency: each call timed alone, host clock around call + synchronize, so it is what a
    caller waits for (launch overhead included; no host-device copies). Throughput: the same number of
    calls back to back with one synchronize at the end, so launches overlap GPU work."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        fn(x)
    sync()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn(x)
        sync()
        times.append(time.perf_counter() - start)
    sync()
    start = time.perf_counter()
    for _ in range(iterations):
        fn(x)
    sync()
    total = time.perf_counter() - start
    times.sort()
    batch = x.shape[0]
    return {
        "iterations": iterations, "warmup": warmup,
        "latency_ms": {"median": statistics.median(times) * 1e3, "p99": percentile(times, 99) * 1e3,
                       "mean": statistics.fmean(times) * 1e3, "min": times[0] * 1e3},
        "throughput_images_per_s": batch * iterations / total,
        "latency_throughput_images_per_s": batch / statistics.median(times),
    }


def bench_config(base_model, spec, precision, mode, batches, args, device, reference, rows, on_row):
    """Times one (precision, mode) over all batch sizes; appends a row per batch (failures included)."""
    dtype = DTYPES[precision]
    set_tf32(precision != "fp32")
    memory_format = torch.channels_last if args.memory_format == "channels_last" else torch.contiguous_format
    shape = (spec["inputChannels"], spec["inputHeight"], spec["inputWidth"])
    model = copy.deepcopy(base_model).to(device=device, dtype=dtype, memory_format=memory_format).eval()
    fn = model
    failed = None
    if mode == "compile":
        if not hasattr(torch, "compile"):
            failed = f"torch {torch.__version__} has no torch.compile"
        else:
            reset_dynamo()  # forget the previous configuration's graphs (and its recompile budget)
            try:
                # dynamic=False: one specialized graph (and CUDA graph) per batch size, as a deployment would use.
                fn = torch.compile(model, mode="reduce-overhead", dynamic=False)
            except Exception as e:
                failed = f"torch.compile failed: {type(e).__name__}: {e}"

    def prepare(x):
        return x.to(device=device, dtype=dtype).contiguous(memory_format=memory_format)

    generator = torch.Generator(device="cpu").manual_seed(1234)
    for batch in batches:
        row = {"precision": precision, "mode": mode, "batch": batch, "dtype": str(dtype).replace("torch.", ""),
               "tf32_allowed": precision != "fp32", "memory_format": args.memory_format}
        if failed:
            row.update(status="failed", error=failed)
        else:
            try:
                x = prepare(torch.randn((batch,) + shape, generator=generator))
                with torch.no_grad():
                    start = time.perf_counter()
                    fn(x)  # compiles for this batch size in compile mode
                    if device.type == "cuda":
                        torch.cuda.synchronize()
                    row["first_call_s"] = time.perf_counter() - start
                    # CUDA graphs are recorded on the first calls after compilation: warm up a few more.
                    warmup = max(args.warmup, 5 if mode == "compile" else 1)
                    if batch > 1:
                        warmup = max(3 if mode == "eager" else 5, warmup * 8 // batch)
                    row.update(time_forward(fn, x, iterations_for(batch, args.iterations, args.min_iterations),
                                            warmup, device))
                row["status"] = "ok"
                del x
            except Exception as e:
                row.update(status="failed", error=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
                if mode == "compile":
                    failed = f"skipped after the compile failure at batch {batch}"
                if device.type == "cuda":
                    torch.cuda.empty_cache()
        rows.append(row)
        on_row(row)

    accuracy = None
    if reference is not None and not failed:
        # The bundle's inputs one at a time (batch 1 is a shape already compiled in the usual runs);
        # each output is copied off at once, because a CUDA graph overwrites it on the next call.
        try:
            with torch.no_grad():
                out = torch.cat([fn(prepare(reference["inputs"][i:i + 1])).float().cpu()
                                 for i in range(reference["inputs"].shape[0])])
            accuracy = {"precision": precision, "mode": mode, **compare_logits(out, reference["logits"])}
        except Exception as e:
            accuracy = {"precision": precision, "mode": mode, "error": f"{type(e).__name__}: {e}"}
    del fn, model
    if mode == "compile":
        reset_dynamo()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return accuracy


def environment(device: torch.device) -> dict:
    env = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "host": platform.node(), "python": platform.python_version(), "torch": torch.__version__,
           "torchvision": None, "timm": None, "cuda": torch.version.cuda,
           "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
           "device": str(device), "device_name": platform.processor() or platform.machine(),
           "cpu_threads": torch.get_num_threads()}
    for name in ("torchvision", "timm"):
        try:
            env[name] = __import__(name).__version__
        except ImportError:
            pass
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update(device_name=props.name, compute_capability=f"{props.major}.{props.minor}",
                   device_memory_gib=round(props.total_memory / 2**30, 1))
        try:
            env["nvidia_smi"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,driver_version,clocks.max.sm,power.limit", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception:
            pass
    return env


def print_table(rows, accuracy) -> None:
    print()
    print(f"{'precision':<9} {'mode':<8} {'batch':>5} {'iters':>5} {'median ms':>10} {'p99 ms':>9} "
          f"{'images/s':>10} {'first call s':>12}  status")
    for r in rows:
        if r["status"] == "ok":
            lat = r["latency_ms"]
            print(f"{r['precision']:<9} {r['mode']:<8} {r['batch']:>5} {r['iterations']:>5} {lat['median']:>10.3f} "
                  f"{lat['p99']:>9.3f} {r['throughput_images_per_s']:>10.1f} {r['first_call_s']:>12.2f}  ok")
        else:
            print(f"{r['precision']:<9} {r['mode']:<8} {r['batch']:>5} {'':>5} {'':>10} {'':>9} {'':>10} {'':>12}  "
                  f"FAILED: {r['error'][:160]}")
    if accuracy:
        print("\nLogits against the reference bundle (its inputs at batch 1):")
        for a in accuracy:
            if "error" in a:
                print(f"  {a['precision']:<5} {a['mode']:<8} FAILED: {a['error'][:160]}")
            else:
                print(f"  {a['precision']:<5} {a['mode']:<8} {format_comparison(a)}")
    print()


def parse_size(text: str):
    parts = text.lower().split("x")
    try:
        h, w = (int(v) for v in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not HEIGHTxWIDTH, e.g. 144x216")
    if h < 1 or w < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: sizes must be positive")
    return h, w


def parse_list(text: str, allowed=None, kind=str, what="value"):
    items = [kind(t.strip()) for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"empty {what} list")
    if allowed is not None:
        bad = [i for i in items if i not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {what}: {', '.join(map(str, bad))} (known: {', '.join(allowed)})")
    return items


# --------------------------------------------------------------------------------------------------
# --random: a seeded random model and its reference bundle (as the trainer's export-random)
# --------------------------------------------------------------------------------------------------

@torch.no_grad()
def randomize_batchnorm(model: nn.Module, generator: torch.Generator) -> None:
    """Random BN affine parameters and running statistics, so that folding BN into the convolutions is
    really tested (fresh BN is the identity and hides folding bugs). Same ranges as the trainer's
    RandomModel.RandomizeBatchNorm: weight U(0.5, 1.5), bias N(0, 0.1^2), running_mean N(0, 0.1^2),
    running_var U(0.5, 2), num_batches_tracked 100."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.copy_(torch.rand(c, generator=generator) + 0.5)
            m.bias.copy_(torch.randn(c, generator=generator) * 0.1)
            m.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=generator) * 1.5 + 0.5)
            m.num_batches_tracked.fill_(100)


@torch.no_grad()
def make_random(args) -> int:
    arch, head = args.random.lower(), args.head.lower()
    spec = default_spec(arch, head)
    if args.input_size:
        spec["inputHeight"], spec["inputWidth"] = args.input_size
    spec["trainerVersion"] = f"pytorch_compare.py (torch {torch.__version__})"
    spec = parse_spec(spec_to_json(spec), "the generated spec")  # the same checks a reader applies

    torch.manual_seed(args.seed)  # the default initializers draw from the global generator
    model, info = build_module(spec)
    randomize_batchnorm(model, torch.Generator().manual_seed(args.seed + 1))
    model.eval()
    inputs = torch.randn(args.count, spec["inputChannels"], spec["inputHeight"], spec["inputWidth"],
                         generator=torch.Generator().manual_seed(args.seed + 2))
    labels = torch.arange(args.count, dtype=torch.int64) % len(spec["classNames"])  # as RandomModel.RandomInputs

    # The stored logits are the reference the engine and the GPU are held to, so compute them as exactly
    # as is practical: CPU (never TF32), float64 by default, then rounded to float32.
    cpu = torch.device("cpu")
    fp32 = fp32_logits(model, inputs, cpu)
    if args.reference_dtype == "float64":
        logits = copy.deepcopy(model).double()(inputs.double()).float()
        print(f"CPU FP32 against CPU FP64 logits: {format_comparison(compare_logits(fp32, logits))}")
    else:
        logits = fp32
    if not bool(torch.isfinite(logits).all()):
        raise CheckFailed("the random model's logits are not finite")

    os.makedirs(args.out, exist_ok=True)
    model_path = os.path.join(args.out, "model.safetensors")
    reference_path = os.path.join(args.out, "reference.safetensors")
    write_model_file(model_path, spec, model.state_dict())
    write_reference(reference_path, spec, "random", inputs, labels, logits, sha256_of(model_path))
    print(f"Wrote {model_path} ({describe(spec)}, {parameter_count(model):,} parameters, {info['builder']}) "
          f"and {reference_path} ({args.count} random inputs, {args.reference_dtype} CPU logits).")

    # Read both files back the way the compare mode does and check the round trip.
    spec2, state = read_model_file(model_path)
    if spec2 != spec:
        raise CheckFailed(f"{model_path}: the spec read back differs: {spec2} != {spec}")
    fresh, _ = build_module(spec2)
    load_strict(fresh, state, model_path)
    original = model.state_dict()
    changed = [k for k, v in fresh.state_dict().items() if not torch.equal(v, original[k])]
    if changed:
        raise CheckFailed(f"{model_path}: tensors changed on the round trip: {', '.join(changed[:5])}")
    ref = read_reference(reference_path)
    check = compare_logits(fp32_logits(fresh, ref["inputs"], cpu), ref["logits"])
    ok = passes(check, FP32_TOLERANCE)
    print(f"Round trip: {len(state)} tensors equal; reloaded model (CPU FP32) against the stored logits: "
          f"{format_comparison(check)} -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------

def compare_and_bench(args) -> int:
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    report = {"tool": "benchmarks/pytorch_compare.py", "environment": environment(device)}
    env = report["environment"]
    print(f"torch {env['torch']}, torchvision {env['torchvision']}, timm {env['timm']}, device {env['device_name']}")

    spec, state = read_model_file(args.model)
    model, info = build_module(spec)
    load_strict(model, state, args.model)
    model.eval()
    report["model"] = {"path": args.model, "sha256": sha256_of(args.model), "spec": spec, "describe": describe(spec),
                       "parameters": parameter_count(model), "tensors": len(state), **info}
    print(f"Loaded {args.model}: {describe(spec)}, {parameter_count(model):,} parameters, {len(state)} tensors, "
          f"strict load OK ({info['builder']})")

    all_passed = True
    reference = None
    if args.reference:
        reference = read_reference(args.reference)
        rs = reference["spec"]
        key = lambda s: (s["inputChannels"], s["inputHeight"], s["inputWidth"], len(s["classNames"]))  # noqa: E731
        if key(rs) != key(spec):
            raise CheckFailed(f"{args.reference} holds inputs and classes for {describe(rs)}, but the model is "
                              f"{describe(spec)}: they belong to different models")
        notes = []
        if rs != spec:
            notes.append("its spec differs from the model's in fields other than the input size and classes")
        if reference["model_sha256"] and reference["model_sha256"] != report["model"]["sha256"]:
            notes.append(f"it was made with a model file of SHA-256 {reference['model_sha256'][:16]}..., "
                         f"not this one ({report['model']['sha256'][:16]}...)")
        for note in notes:
            print(f"warning: {args.reference}: {note}")
        start = time.perf_counter()
        torch_logits = fp32_logits(model, reference["inputs"], device)
        check = compare_logits(torch_logits, reference["logits"])
        check.update(passed=passes(check, args.tolerance), tolerance=args.tolerance, path=args.reference,
                     split=reference["split"], seconds=time.perf_counter() - start, warnings=notes)
        report["reference_check"] = check
        all_passed &= check["passed"]
        print(f"PyTorch FP32 (TF32 off, {device.type}) against {args.reference} ({check['count']} inputs): "
              f"{format_comparison(check)} -> {'PASS' if check['passed'] else 'FAIL'} (tolerance {args.tolerance:g})")

        if args.engine_logits:
            engine = load_engine_logits(args.engine_logits, reference["inputs"].shape[0], len(spec["classNames"]))
            vs_torch = compare_logits(engine, torch_logits)
            vs_bundle = compare_logits(engine, reference["logits"])
            ok = passes(vs_torch, args.engine_tolerance)
            report["engine_check"] = {"path": args.engine_logits, "tolerance": args.engine_tolerance, "passed": ok,
                                      "vs_pytorch_fp32": vs_torch, "vs_reference": vs_bundle}
            all_passed &= ok
            print(f"Engine logits {args.engine_logits} against PyTorch FP32: {format_comparison(vs_torch)} -> "
                  f"{'PASS' if ok else 'FAIL'} (tolerance {args.engine_tolerance:g}); "
                  f"against the bundle: rel L2 {vs_bundle['rel_l2']:.3e}, top-1 {vs_bundle['top1_agree']}/{vs_bundle['count']}")

    rows, accuracy = [], []
    report.update(settings=None, results=rows, accuracy=accuracy, passed=all_passed)

    def save():
        if args.json:
            report["passed"] = all_passed
            tmp = args.json + ".tmp"
            with open(tmp, "w") as f:
                json.dump(report, f, indent=2)
            os.replace(tmp, args.json)  # a reader (or a killed run) never sees half a file

    if not args.no_bench:
        if device.type != "cuda":
            print(f"warning: benchmarking on {device.type}: the figures say nothing about the GPU")
        modes = [m for m in args.modes if not (args.no_compile and m == "compile")]
        torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
        report["settings"] = {
            "batches": args.batches, "precisions": args.precisions, "modes": modes, "iterations": args.iterations,
            "min_iterations": args.min_iterations, "warmup": args.warmup, "memory_format": args.memory_format,
            "cudnn_benchmark": torch.backends.cudnn.benchmark, "compile": 'torch.compile(mode="reduce-overhead", dynamic=False)',
            "timing": "latency: perf_counter around each call + synchronize; throughput: back-to-back calls, one synchronize",
            "percentile": "nearest rank", "inputs": "random normal, same tensor for every call, already on the device"}
        print(f"Benchmark: precisions {','.join(args.precisions)}, modes {','.join(modes)}, batches "
              f"{','.join(map(str, args.batches))}, {args.iterations} iterations at batch 1", flush=True)

        def on_row(row):
            if row["status"] == "ok":
                print(f"  {row['precision']:<5} {row['mode']:<8} batch {row['batch']:>4}: median "
                      f"{row['latency_ms']['median']:.3f} ms, p99 {row['latency_ms']['p99']:.3f} ms, "
                      f"{row['throughput_images_per_s']:.1f} images/s (first call {row['first_call_s']:.1f} s)", flush=True)
            else:
                print(f"  {row['precision']:<5} {row['mode']:<8} batch {row['batch']:>4}: FAILED: {row['error'][:200]}",
                      flush=True)
            save()

        cpu_model = model.cpu()
        for precision in args.precisions:
            for mode in modes:
                acc = bench_config(cpu_model, spec, precision, mode, args.batches, args, device, reference, rows, on_row)
                if acc is not None:
                    accuracy.append(acc)
                    save()
        print_table(rows, accuracy)
    save()
    if args.json:
        print(f"Wrote {args.json}")
    if args.reference:
        print("PASS" if all_passed else "FAIL")
    return 0 if all_passed else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description="Check a CudaGenre model against PyTorch and time PyTorch eager / torch.compile on the GPU, "
                    "or (--random) write a seeded random model and its reference bundle.",
        epilog="Exit code: 0 all checks passed, 1 a check failed or a file is unusable, 2 bad arguments.")
    p.add_argument("model", nargs="?", help="model.safetensors (CudaGenre model file)")
    p.add_argument("--reference", help="reference.safetensors: compare PyTorch FP32 logits with its stored logits")
    p.add_argument("--engine-logits", help="the engine's logits for the reference inputs: .npy, or raw float32 "
                                           "(.bin), N x classes row-major; needs --reference")
    p.add_argument("--tolerance", type=float, default=FP32_TOLERANCE, help="largest relative L2 error of PyTorch "
                                                                           "against the reference (default 1e-4)")
    p.add_argument("--engine-tolerance", type=float, default=FP32_TOLERANCE,
                   help="largest relative L2 error of the engine against PyTorch FP32 (default 1e-4)")
    p.add_argument("--json", help="write every figure to this JSON file (rewritten after each benchmark row)")
    p.add_argument("--device", help="cuda (default when available) or cpu")
    p.add_argument("--no-bench", action="store_true", help="only load and compare, no timings")
    p.add_argument("--batches", type=lambda s: parse_list(s, kind=int, what="batch"), default=[1, 64, 256],
                   help="batch sizes (default 1,64,256)")
    p.add_argument("--iterations", type=int, default=200,
                   help="timed calls at batch 1 (default 200); batch B gets max(min, iterations*8/B)")
    p.add_argument("--min-iterations", type=int, default=20, help="fewest timed calls for a big batch (default 20)")
    p.add_argument("--warmup", type=int, default=20, help="untimed calls before timing at batch 1 (default 20; "
                                                          "scaled down like --iterations)")
    p.add_argument("--precisions", type=lambda s: parse_list(s, PRECISIONS, what="precision"),
                   default=list(PRECISIONS), help="fp32 (TF32 off), tf32, fp16, bf16 (default all)")
    p.add_argument("--modes", type=lambda s: parse_list(s, MODES, what="mode"), default=list(MODES),
                   help="eager, compile (torch.compile mode=reduce-overhead) (default both)")
    p.add_argument("--no-compile", action="store_true", help="same as --modes eager")
    p.add_argument("--memory-format", choices=("channels_last", "contiguous"), default="channels_last",
                   help="layout of the inputs and weights in the benchmark (default channels_last)")
    p.add_argument("--no-cudnn-benchmark", action="store_true",
                   help="leave torch.backends.cudnn.benchmark off while timing (default on)")
    g = p.add_argument_group("--random: write a seeded random model (no model argument)")
    g.add_argument("--random", metavar="ARCH", help=f"architecture: {', '.join(ARCHITECTURES)}")
    g.add_argument("--head", default="linear", help="linear (default) or dense")
    g.add_argument("--out", help="folder for model.safetensors and reference.safetensors")
    g.add_argument("--seed", type=int, default=42, help="seed of the weights and inputs (default 42)")
    g.add_argument("--count", type=int, default=8, help="random inputs in the reference bundle (default 8)")
    g.add_argument("--input-size", type=parse_size, help="HEIGHTxWIDTH, e.g. 144x216 (default: the architecture's)")
    g.add_argument("--reference-dtype", choices=("float64", "float32"), default="float64",
                   help="CPU precision of the stored logits (default float64, rounded to float32)")
    args = p.parse_args(argv)

    if args.random:
        if args.model:
            p.error("--random takes no model argument")
        if args.random.lower() not in ARCHITECTURES:
            p.error(f"unknown architecture {args.random!r} (known: {', '.join(ARCHITECTURES)})")
        if args.head.lower() not in HEADS:
            p.error(f"unknown head {args.head!r} (known: {', '.join(HEADS)})")
        if not args.out:
            p.error("--random needs --out DIR")
        if args.count < 1:
            p.error("--count must be at least 1")
    else:
        if not args.model:
            p.error("give a model file, or --random ARCH --out DIR")
        if args.engine_logits and not args.reference:
            p.error("--engine-logits needs --reference (the inputs the engine ran)")
        if args.iterations < 1 or args.min_iterations < 1 or args.warmup < 0:
            p.error("--iterations and --min-iterations must be at least 1, --warmup at least 0")
        if any(b < 1 for b in args.batches):
            p.error("batch sizes must be at least 1")
    try:
        return make_random(args) if args.random else compare_and_bench(args)
    except CheckFailed as e:
        print(f"error: {e}", file=sys.stderr)
        print("FAIL")
        return 1


if __name__ == "__main__":
    sys.exit(main())
