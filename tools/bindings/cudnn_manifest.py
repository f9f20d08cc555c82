"""Reduces castxml's XML of cudnn.h to the declaration manifest the binding conformance test reads: the
declarations that the C# bindings in BINDINGS_DIR name (LibraryImport methods, enums, structs), in full, and
the names of every cuDNN function, so that the test can tell a misspelt binding from a stale manifest.

A type is written as the chain castxml resolves it through, outermost first, const and elaborations left out:
"typedef NAME", "*" (pointer), "[N]" (array of N), then one terminal: "NAME/BYTES" (a C fundamental type),
"void", "enum NAME/BYTES", "struct NAME/BYTES" ("?" bytes when incomplete), "union NAME/BYTES", "function".
The test reads chains the same way from castxml's XML of the CUDA headers, so both sources meet in one reader.
Usage: cudnn_manifest.py CASTXML_XML HEADER_DIR BINDINGS_DIR SOURCE > manifest.json
"""
import hashlib
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

xml_path, header_dir, bindings_dir, source = sys.argv[1:5]
bound = set()
for name in os.listdir(bindings_dir):
    if name.endswith(".cs"):
        with open(os.path.join(bindings_dir, name), encoding="utf-8") as cs:
            text = cs.read()
        bound.update(re.findall(r"static partial [\w*]+ (cudnn\w+)\(", text))
        bound.update(re.findall(r"(?:enum|struct) (cudnn\w+)", text))
root = ET.parse(xml_path).getroot()
by_id = {e.get("id"): e for e in root}
cudnn_files = {e.get("id") for e in root.iter("File") if re.fullmatch(r"cudnn\w*\.h", os.path.basename(e.get("name")))}


def bytes_of(e):
    return int(e.get("size")) // 8 if e.get("size") else "?"


def chain(type_id):
    links = []
    while True:
        e = by_id[type_id]
        if e.tag in ("CvQualifiedType", "ElaboratedType"):
            type_id = e.get("type")
        elif e.tag == "Typedef":
            links.append("typedef " + e.get("name"))
            type_id = e.get("type")
        elif e.tag == "PointerType":
            links.append("*")
            type_id = e.get("type")
        elif e.tag == "ArrayType":
            links.append("[%d]" % (int(e.get("max")) + 1))
            type_id = e.get("type")
        elif e.tag == "FundamentalType":
            return links + ["void" if e.get("name") == "void" else "%s/%s" % (e.get("name"), bytes_of(e))]
        elif e.tag == "Enumeration":
            return links + ["enum %s/%s" % (e.get("name"), bytes_of(e))]
        elif e.tag in ("Struct", "Union"):
            return links + ["%s %s/%s" % (e.tag.lower(), e.get("name"), bytes_of(e))]
        elif e.tag == "FunctionType":
            return links + ["function"]
        else:
            raise SystemExit("unexpected castxml type element %s (%s)" % (e.tag, type_id))


def declared_here(e):
    return e.get("file") in cudnn_files


def typedef_names(target_id):
    """Names that typedefs in the cuDNN headers give the declaration target_id (C code often calls a struct so)."""
    names = []
    for t in root.iter("Typedef"):
        if declared_here(t):
            e = by_id[t.get("type")]
            if e.tag == "ElaboratedType":
                e = by_id[e.get("type")]
            if e.get("id") == target_id:
                names.append(t.get("name"))
    return names


functions = {
    f.get("name"): {"returns": chain(f.get("returns")), "params": [[a.get("name"), chain(a.get("type"))] for a in f.iter("Argument")]}
    for f in root.iter("Function") if declared_here(f) and f.get("name") in bound
}
declared = sorted(f.get("name") for f in root.iter("Function") if declared_here(f))
enums = {
    e.get("name"): {"size": bytes_of(e), "members": {v.get("name"): int(v.get("init")) for v in e.iter("EnumValue")}}
    for e in root.iter("Enumeration") if declared_here(e) and e.get("name") in bound
}
structs = {}
for s in root.iter("Struct"):
    if declared_here(s) and s.get("incomplete") != "1":
        for name in [n for n in ([s.get("name")] if s.get("name") else []) + typedef_names(s.get("id")) if n in bound]:
            structs[name] = {
                "size": bytes_of(s),
                "fields": [[f.get("name"), int(f.get("offset")) // 8, chain(f.get("type"))]
                           for f in (by_id[m] for m in s.get("members", "").split()) if f.tag == "Field"],
            }

version = {}
with open(os.path.join(header_dir, "cudnn_version.h"), encoding="utf-8") as h:
    for m in re.finditer(r"#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) (\d+)", h.read()):
        version[m.group(1)] = m.group(2)
headers = []
for name in sorted(os.listdir(header_dir)):
    if re.fullmatch(r"cudnn\w*\.h", name):
        with open(os.path.join(header_dir, name), "rb") as h:
            headers.append([name, hashlib.sha256(h.read()).hexdigest()])


def section(entries):
    # One declaration a line, sorted, so that a new cuDNN release shows as a readable diff.
    return "{\n" + ",\n".join("    %s: %s" % (json.dumps(k), json.dumps(entries[k])) for k in sorted(entries)) + "\n  }"


print("{")
print('  "source": %s,' % json.dumps(source))
print('  "cudnnVersion": %s,' % json.dumps("%s.%s.%s" % (version["MAJOR"], version["MINOR"], version["PATCHLEVEL"])))
print('  "generator": "tools/bindings/make-cudnn-manifest.sh (castxml %s)",' % root.get("format"))
print('  "headers": %s,' % json.dumps(headers))
print('  "declaredFunctions": %s,' % json.dumps(declared))
print('  "functions": %s,' % section(functions))
print('  "enums": %s,' % section(enums))
print('  "structs": %s' % section(structs))
print("}")
