// The proof of verification: a PDF signed by the service, asked for only
// when the person agrees. The verdict on screen came from the phone alone;
// a proof needs the service, which verifies the code again, signs a receipt
// of what it found (POST /api/v1/verify?receipt=true) and draws it as a
// page (POST /api/v1/receipt.pdf). Without a key the service answers as to
// anyone: the receipt holds the names and the validity, not the right to
// work. Nothing is sent before the person says yes, and never in a URL.

export class ProofError extends Error {
  constructor(kind, status) {
    super(`proof: ${kind}${status ? ` (${status})` : ''}`);
    this.kind = kind; // 'offline', 'service', 'refused'
    this.status = status || 0;
  }
}

async function post(url, type, body) {
  let res;
  try {
    res = await fetch(url, {
      method: 'POST', headers: { 'Content-Type': type }, body, cache: 'no-store', credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ProofError(navigator.onLine === false ? 'offline' : 'service');
  }
  if (!res.ok) throw new ProofError(res.status >= 500 || res.status === 429 ? 'service' : 'refused', res.status);
  return res;
}

/** The proof of the check of QR text `text`: {blob, name} (a PDF), or a ProofError. */
export async function fetchProof(text) {
  if (navigator.onLine === false) throw new ProofError('offline');
  const res = await post('/api/v1/verify?receipt=true&explain=false', 'application/json',
    JSON.stringify({ payload: text }));
  const report = await res.json();
  if (!report || typeof report.receipt !== 'string') throw new ProofError('service');
  const pdf = await post('/api/v1/receipt.pdf', 'text/plain', report.receipt);
  const blob = await pdf.blob();
  const day = (report.checked_at || new Date().toISOString()).slice(0, 10);
  return { blob, name: `preuve-verification-${day}.pdf` };
}

/** Hands a blob to the browser as a download named name. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
