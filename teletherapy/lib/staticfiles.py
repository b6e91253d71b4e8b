"""Static files storage: hashed names, compressed copies, and ES module imports that point at
the hashed names too."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed and compressed storage, rewriting `import ... from "./x.js"` (and
    `export ... from`, `import("./x.js")`) to the hashed file as well. Without it a page loads
    each module twice (the hashed URL from modulepreload, the plain one from import) and,
    after an upgrade, can mix a new module with a cached old one."""

    support_js_module_import_aggregation = True
