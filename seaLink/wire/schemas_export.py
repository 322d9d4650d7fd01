"""Writes the JSON Schema of every protocol v1 payload into a folder (docs/schemas).

python -m seaLink.wire.schemas_export docs/schemas
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from seaLink.wire.payloads import json_schemas


def rendered() -> dict[str, str]:
    out = {}
    for name, schema in json_schemas().items():
        doc = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"sealink/v1/{name}",
        }
        doc.update(schema)
        out[f"{name}.schema.json"] = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return out


def main(folder: str) -> None:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for filename, text in rendered().items():
        (target / filename).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")
