using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace KpNode.Evidence;

/// <summary>
/// The offline verifier: one self-contained HTML file (inline script, WebCrypto, no network: its content security policy
/// forbids any fetch) holding the roots it trusts, which checks a pasted or scanned QR token exactly as <see cref="CertificateToken.Verify"/> does.
/// </summary>
internal static class VerifierPage
{
    /// <summary>The page for <paramref name="roots"/>, each labelled with the participant it vouches for.</summary>
    public static string Render(IEnumerable<(string Participant, X509Certificate2 Root)> roots)
    {
        var list = roots.Select(r => new Dictionary<string, string>
        {
            ["participant"] = r.Participant,
            ["subject"] = r.Root.Subject,
            ["fingerprint"] = Trust.RootFingerprint.Of(r.Root),
            ["der"] = Convert.ToBase64String(r.Root.RawData),
        }).ToList();
        // JSON inside a script element: "<" escaped so no text in a subject can close the element.
        var json = JsonSerializer.Serialize(list).Replace("<", "\\u003c", StringComparison.Ordinal);
        var names = WebUtility.HtmlEncode(string.Join(", ", list.Select(r => $"{r["participant"]} ({r["fingerprint"][..11]}…)")));
        return Template.Replace("/*ROOTS*/[]", json, StringComparison.Ordinal).Replace("{{ROOT_NAMES}}", names, StringComparison.Ordinal);
    }

    private const string Template = """
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Kimberley Process certificate: offline QR verifier</title>
<style>
body { font-family: sans-serif; max-width: 52em; margin: 1.5em auto; padding: 0 1em; }
textarea { width: 100%; height: 7em; font-family: monospace; }
#verdict { font-size: 1.4em; font-weight: bold; padding: .6em; margin: 1em 0; border-radius: .3em; }
#verdict.valid { background: #1b7f2a; color: #fff; }
#verdict.refused { background: #b3141b; color: #fff; }
table { border-collapse: collapse; } td { padding: .2em .8em; border-bottom: 1px solid #ddd; font-family: monospace; }
</style>
</head>
<body>
<h1>Kimberley Process certificate: QR verifier</h1>
<p>Works without a network. Trusted roots: {{ROOT_NAMES}}.</p>
<p>Scan the QR code of the paper certificate (the scanner types its text) or paste the token (it starts with <code>KP1:</code>):</p>
<textarea id="token" autofocus></textarea>
<p><button id="check">Verify</button></p>
<div id="verdict" data-verdict="none"></div>
<p id="compare"></p>
<table id="figures"></table>
<script>
"use strict";
const ROOTS = /*ROOTS*/[];
const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const KEYS = ["number", "exporter", "importer", "parcels", "carats", "value", "issued", "expires", "payload-sha256", "signed-at"];
const LABELS = { "number": "Certificate number", "exporter": "Exporting participant", "importer": "Importing participant", "parcels": "Number of parcels",
  "carats": "Carat weight", "value": "Value (US$)", "issued": "Date of issue", "expires": "Date of expiry", "payload-sha256": "Signed certificate SHA-256", "signed-at": "QR signed at (UTC)" };
const OID = { san: "551d11", eku: "551d25", docSigning: "2b06010505070324", ecdsaSha256: "2a8648ce3d040302", ecdsaSha384: "2a8648ce3d040303",
  p256: "2a8648ce3d030107", p384: "2b81040022" };

class Refusal extends Error {}
const refuse = m => { throw new Refusal(m); };
const hex = b => Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
const b64 = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function base45(s) {
  if (s.length % 3 === 1) refuse("the token is damaged: its text is not Base45 (was it copied completely?).");
  const out = [];
  for (let i = 0; i < s.length; i += 3) {
    const g = s.slice(i, i + 3); let n = 0;
    for (let k = g.length - 1; k >= 0; k--) {
      const d = B45.indexOf(g[k]);
      if (d < 0) refuse("the token is damaged: its text is not Base45 (was it copied completely?).");
      n = n * 45 + d;
    }
    if (g.length === 3) { if (n > 0xffff) refuse("the token is damaged: a Base45 group is out of range."); out.push(n >> 8, n & 0xff); }
    else { if (n > 0xff) refuse("the token is damaged: a Base45 group is out of range."); out.push(n); }
  }
  return new Uint8Array(out);
}

// A minimal DER reader: enough to walk an X.509 certificate.
function tlv(buf, pos) {
  if (pos + 2 > buf.length) refuse("a certificate in the token is truncated.");
  const tag = buf[pos]; let len = buf[pos + 1], hdr = 2;
  if (len & 0x80) { const nb = len & 0x7f; if (nb < 1 || nb > 3) refuse("a certificate has an unsupported length."); len = 0;
    for (let i = 0; i < nb; i++) len = len * 256 + buf[pos + 2 + i]; hdr = 2 + nb; }
  const end = pos + hdr + len;
  if (end > buf.length) refuse("a certificate in the token is truncated.");
  return { buf, tag, start: pos, hdr, end, body: buf.subarray(pos + hdr, end), raw: buf.subarray(pos, end) };
}
function kids(node) { const out = []; let p = node.start + node.hdr; while (p < node.end) { const c = tlv(node.buf, p); out.push(c); p = c.end; } return out; }

function parseCert(der) {
  const top = tlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) refuse("the signer certificate in the token cannot be read.");
  const [tbs, alg, sig] = kids(top);
  const t = kids(tbs); let i = t[0].tag === 0xa0 ? 1 : 0;
  const issuer = t[i + 2], validity = kids(t[i + 3]), subject = t[i + 4], spki = t[i + 5];
  const cert = { tbs: tbs.raw, sigAlg: hex(kids(alg)[0].body), sig: sig.body.subarray(1), issuer: issuer.raw, subject: subject.raw, spki: spki.raw,
    notBefore: time(validity[0]), notAfter: time(validity[1]), uris: [], ekus: [], ca: false,
    curve: hex(kids(kids(spki)[0])[1]?.body ?? new Uint8Array()) };
  const ext = t.find(x => x.tag === 0xa3);
  if (ext) for (const e of kids(kids(ext)[0])) {
    const parts = kids(e), oid = hex(parts[0].body), value = tlv(parts[parts.length - 1].body, 0);
    if (oid === OID.san) for (const n of kids(value)) { if (n.tag === 0x86) cert.uris.push(String.fromCharCode(...n.body)); }
    if (oid === OID.eku) for (const n of kids(value)) cert.ekus.push(hex(n.body));
  }
  return cert;
}
function time(node) {
  const s = String.fromCharCode(...node.body);
  const m = node.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m) refuse("a certificate has a validity date this verifier cannot read.");
  let y = +m[1]; if (node.tag === 0x17) y += y < 50 ? 2000 : 1900;
  return new Date(Date.UTC(y, +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}
// WebCrypto takes ECDSA signatures as r||s; X.509 carries them as a DER SEQUENCE of two INTEGERs.
function p1363(derSig, size) {
  const seq = tlv(derSig, 0); const out = new Uint8Array(2 * size);
  kids(seq).forEach((n, k) => { let v = n.body; while (v.length > size && v[0] === 0) v = v.subarray(1);
    if (v.length > size) refuse("a certificate signature is malformed."); out.set(v, k * size + size - v.length); });
  return out;
}
const curveOf = c => c === OID.p256 ? ["P-256", 32] : c === OID.p384 ? ["P-384", 48] : refuse("a key is not on curve P-256 or P-384.");

async function verify(text) {
  text = text.trim();
  if (!text.startsWith("KP1:")) refuse("not a KP certificate token: it must start with 'KP1:'.");
  const bin = base45(text.slice(4));
  if (bin[0] !== 1) refuse("the token has format version " + bin[0] + "; this page reads version 1.");
  let p = 1; const block = () => { if (p + 2 > bin.length) refuse("the token is damaged: its parts do not add up.");
    const n = bin[p] * 256 + bin[p + 1]; if (p + 2 + n > bin.length) refuse("the token is damaged: its parts do not add up.");
    const b = bin.subarray(p + 2, p + 2 + n); p += 2 + n; return b; };
  const claimBytes = block(), leafDer = block(), signature = bin.subarray(p);
  if (signature.length !== 64) refuse("the token is damaged: its parts do not add up.");
  const lines = new TextDecoder("utf-8", { fatal: true }).decode(claimBytes).split("\n");
  if (lines.length !== KEYS.length) refuse("the token's figures cannot be read.");
  const claims = {};
  lines.forEach((l, k) => { if (!l.startsWith(KEYS[k] + "=")) refuse("the token's figures cannot be read."); claims[KEYS[k]] = l.slice(KEYS[k].length + 1); });
  show(claims, false);
  const signedAt = new Date(claims["signed-at"]);
  if (isNaN(signedAt)) refuse("the token's signing time cannot be read.");

  const leaf = parseCert(leafDer);
  const root = ROOTS.map(r => ({ r, c: parseCert(b64(r.der)) })).find(x => same(x.c.subject, leaf.issuer));
  if (!root) refuse("the token's signer certificate was not issued by any root this page trusts (" + ROOTS.map(r => r.participant).join(", ") + ").");
  const hash = leaf.sigAlg === OID.ecdsaSha256 ? "SHA-256" : leaf.sigAlg === OID.ecdsaSha384 ? "SHA-384" : refuse("the signer certificate uses a signature algorithm this page does not know.");
  const [rootCurve, rootSize] = curveOf(root.c.curve);
  const rootKey = await crypto.subtle.importKey("spki", root.c.spki, { name: "ECDSA", namedCurve: rootCurve }, false, ["verify"]);
  if (!await crypto.subtle.verify({ name: "ECDSA", hash }, rootKey, p1363(leaf.sig, rootSize), leaf.tbs))
    refuse("the token's signer certificate is not signed by " + root.r.participant + "'s root: it is forged.");
  if (signedAt < leaf.notBefore || signedAt > leaf.notAfter) refuse("the token's signer certificate was not valid when the token was signed (" + claims["signed-at"] + ").");
  if (!leaf.ekus.includes(OID.docSigning)) refuse("the token's signer certificate is not a document-signing certificate.");
  const parts = leaf.uris.filter(u => u.startsWith("kp:participant:")).map(u => u.slice(15));
  if (parts.length !== 1) refuse("the token's signer certificate names no single participant.");
  if (parts[0] !== root.r.participant) refuse("the token's signer claims participant " + parts[0] + " but chains to " + root.r.participant + "'s root.");
  if (parts[0] !== claims.exporter) refuse("the token was signed for participant " + parts[0] + ", but names exporter " + claims.exporter + ".");
  const [leafCurve] = curveOf(leaf.curve);
  const leafKey = await crypto.subtle.importKey("spki", leaf.spki, { name: "ECDSA", namedCurve: leafCurve }, false, ["verify"]);
  const signed = new Uint8Array([...new TextEncoder().encode("KPNODE-TOKEN-v1\n"), ...claimBytes]);
  if (!await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, leafKey, signature, signed))
    refuse("the token's signature does not match its figures: the token was altered or is forged.");
  show(claims, true);
  return { claims, root: root.r };
}

function show(claims, proven) {
  const table = document.getElementById("figures"); table.textContent = "";
  for (const k of KEYS) { const row = table.insertRow(); row.insertCell().textContent = LABELS[k]; row.insertCell().textContent = claims[k]; row.dataset.key = k; }
  document.getElementById("compare").textContent = proven ? "Compare every figure with the paper certificate:" : "What the token claims (not proven):";
}
function verdict(ok, text) {
  const v = document.getElementById("verdict"); v.className = ok ? "valid" : "refused"; v.dataset.verdict = ok ? "valid" : "refused"; v.textContent = text;
}
async function run() {
  try {
    const { claims, root } = await verify(document.getElementById("token").value);
    verdict(true, "VALID: certificate " + claims.number + " signed by " + root.participant + "'s document-signing key, under its root " + root.subject + " (" + root.fingerprint.slice(0, 19) + "…)");
  } catch (e) {
    verdict(false, "REFUSED: " + (e instanceof Refusal ? e.message : "the token cannot be checked (" + e + ")"));
  }
}
document.getElementById("check").addEventListener("click", run);
document.getElementById("token").addEventListener("keydown", e => { if (e.key === "Enter") { e.preventDefault(); run(); } });
// A token in the address (verifier.html#KP1:...) is checked at once, e.g. from a scanner that opens links.
if (location.hash.length > 1) { document.getElementById("token").value = decodeURIComponent(location.hash.slice(1)); run(); }
</script>
</body>
</html>
""";
}
