// Copies the pinned packages' dist files (package-lock.json) into the web app's vendor
// folder, each under its version, with its licence. Run after `npm ci`; the copies are
// committed, so serving the app (scripts/up.sh) needs no Node.js.
"use strict";
const fs = require("fs");
const path = require("path");

const OUT = path.join(__dirname, "..", "station", "dashboard", "static", "vendor");
const FILES = [
  // Vue's runtime build: views are render functions (h), so no template compiler and
  // no eval is needed under the page's CSP (script-src 'self').
  ["vue", "dist/vue.runtime.global.prod.js", "vue-{v}.runtime.global.prod.js"],
  ["vant", "lib/vant.min.js", "vant-{v}.min.js"],
  ["vant", "lib/index.css", "vant-{v}.css", stripRemoteFont],
  ["dexie", "dist/dexie.min.js", "dexie-{v}.min.js"],
  ["axe-core", "axe.min.js", "axe-core-{v}.min.js"],
];

/* Vant's icon font names a CDN copy after its inline woff2; the page may load nothing
   from another origin, so only the inline copy is kept. */
function stripRemoteFont(css) {
  return css.replace(/,\s*url\(\/\/at\.alicdn\.com[^)]*\)\s*format\("[a-z0-9]+"\)/g, "")
            .replace(/,\s*url\(\/\/at\.alicdn\.com[^)]*\)/g, "");
}

const rows = [];
for (const [pkg, from, name, transform] of FILES) {
  const root = path.join(__dirname, "node_modules", pkg);
  const version = JSON.parse(fs.readFileSync(path.join(root, "package.json"))).version;
  const target = name.replace("{v}", version);
  let data = fs.readFileSync(path.join(root, from));
  if (transform) data = Buffer.from(transform(data.toString("utf8")), "utf8");
  fs.writeFileSync(path.join(OUT, target), data);
  fs.copyFileSync(path.join(root, "LICENSE"), path.join(OUT, `${pkg.toUpperCase()}-LICENSE.txt`));
  rows.push(`| \`${target}\` | ${pkg} (npm) | ${version} | \`${from}\` | ${data.length} bytes |`);
}
console.log(rows.join("\n"));
