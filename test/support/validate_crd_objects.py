"""Validates objects of custom resources against their CRDs' schemas, strictly.

    python validate_crd_objects.py --crd <crd.yaml>... -- <manifest.yaml>...

kubernetes-validate knows the built-in kinds only. For every object whose apiVersion and kind a
given CRD defines, this checks it against that version's openAPIV3Schema with jsonschema (types,
enums, required fields, patterns) and, as the API server's strict field validation does, rejects a
field the schema does not declare (unless the schema preserves unknown fields there). Objects of
kinds no CRD defines are skipped. Prints one line per object, "ok <kind>/<name>" or its errors;
exit status 1 when any object fails, 2 on bad usage.
"""

from __future__ import annotations

import sys

import jsonschema
import yaml


def unknown_fields(schema: dict, value: object, path: str) -> list[str]:
    if not isinstance(schema, dict):
        return []
    if isinstance(value, dict):
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return []
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        errors = []
        for key, item in value.items():
            if props is not None and key in props:
                errors += unknown_fields(props[key], item, f"{path}.{key}")
            elif isinstance(extra, dict):
                errors += unknown_fields(extra, item, f"{path}.{key}")
            elif props is not None and extra is not True:
                errors.append(f"{path}.{key}: unknown field")
        return errors
    if isinstance(value, list) and "items" in schema:
        return [e for i, item in enumerate(value) for e in unknown_fields(schema["items"], item, f"{path}[{i}]")]
    return []


def main(argv: list[str]) -> int:
    if "--crd" not in argv or "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    crd_files = argv[argv.index("--crd") + 1 : argv.index("--")]
    manifests = argv[argv.index("--") + 1 :]
    schemas: dict[tuple[str, str], dict] = {}
    for path in crd_files:
        with open(path) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    failed = checked = 0
    for path in manifests:
        with open(path) as f:
            for obj in yaml.safe_load_all(f):
                if not obj:
                    continue
                schema = schemas.get((obj.get("apiVersion"), obj.get("kind")))
                if schema is None:
                    continue
                checked += 1
                name = f"{obj['kind']}/{obj.get('metadata', {}).get('name')}"
                errors = [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(obj)]
                # metadata is the API server's ObjectMeta, not part of the CRD's schema
                errors += unknown_fields(schema, {k: v for k, v in obj.items() if k != "metadata"}, name)
                if errors:
                    failed += 1
                    print(f"FAIL {name} ({path}): " + "; ".join(errors))
                else:
                    print(f"ok {name}")
    print(f"{checked} objects checked, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
