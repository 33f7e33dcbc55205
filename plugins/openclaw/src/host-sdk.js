// Load the host's `openclaw/plugin-sdk/core` at run time. A linked local plugin has no
// node_modules/openclaw of its own, so when the bare import fails we locate the running
// OpenClaw package from the process entry script and import the SDK from there.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

let cached;

function findHostPackageRoot() {
  const starts = [process.argv[1], process.argv[0]].filter(Boolean);
  for (const start of starts) {
    let dir;
    try {
      dir = path.dirname(fs.realpathSync(start));
    } catch {
      continue;
    }
    for (let i = 0; i < 8 && dir && dir !== path.dirname(dir); i++, dir = path.dirname(dir)) {
      const pj = path.join(dir, "package.json");
      try {
        if (JSON.parse(fs.readFileSync(pj, "utf8")).name === "openclaw") return dir;
      } catch {
        /* keep walking */
      }
    }
  }
  return undefined;
}

/** @returns {Promise<Record<string, any> | null>} the SDK core module, or null. */
export async function loadHostSdkCore() {
  if (cached !== undefined) return cached;
  try {
    cached = await import("openclaw/plugin-sdk/core");
    return cached;
  } catch {
    /* fall through */
  }
  try {
    const root = findHostPackageRoot();
    if (root) {
      const resolved = createRequire(path.join(root, "package.json")).resolve("openclaw/plugin-sdk/core");
      cached = await import(pathToFileURL(resolved).href);
      return cached;
    }
  } catch {
    /* fall through */
  }
  cached = null;
  return cached;
}
