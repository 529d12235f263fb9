/*
 * explain.js: the plain-language texts shown with a verdict, French first
 * and English second, copied exactly from verifier/explain.c (the tests
 * compare them with the texts the C code writes into
 * docs/vectors/bundle.json, section "explain").
 *
 * texts.fr and texts.en have the keys of the C explanation object:
 * verdict, next_step and reason (by code), compare ([0] a first
 * application or a renewal without a previous permit, [1] a renewal with
 * one), work (by wrk: 0 no, 1 yes, 2 previous conditions), about,
 * disclaimer; and application (by app: 0 unknown, 1 first, 2 renewal,
 * 3 change), which the text report uses; presentation (by presentation:
 * only `reduced`, the holder's card, has a text). They say what the law
 * says of an API (docs/legal.md), never more.
 */
import { parseDate } from './paris.js';

export const texts = {
  fr: {
    verdict: {
      valid: "Attestation valide : c'est un document officiel de la préfecture, authentique et en cours de validité.",
      expired: "Attestation expirée : sa date de fin de validité est passée.",
      not_yet_valid: "Attestation pas encore valide : sa période de validité n'a pas commencé.",
      revoked: "Attestation annulée par la préfecture : elle ne prouve plus rien.",
      suspended: "Attestation suspendue par la préfecture : elle ne peut pas être acceptée pour l'instant.",
      superseded: "Attestation remplacée : la préfecture a pris une décision sur la demande.",
      status_unknown: "Validité impossible à confirmer pour l'instant : l'attestation est authentique, mais son état à jour n'est pas connu.",
      invalid_signature: "Attestation non authentique : la signature ne correspond pas, le document a pu être modifié ou falsifié.",
      unknown_issuer: "Émetteur inconnu : ce code n'a pas été signé par une préfecture reconnue.",
      untrusted_issuer: "Émetteur non fiable : la clé qui a signé ce code n'est pas ou plus digne de confiance.",
      malformed: "Code illisible : ce n'est pas un code d'attestation, ou il est abîmé.",
    },
    next_step: {
      valid: "Vérifiez que la personne est bien le titulaire, puis acceptez le document.",
      expired: "Demandez une attestation plus récente ou le nouveau titre de séjour. Tant que la préfecture n'a pas décidé, l'attestation doit être renouvelée : la personne peut la demander à sa préfecture.",
      not_yet_valid: "Vérifiez à nouveau à partir de la date de début, ou demandez l'attestation en cours.",
      revoked: "N'acceptez pas ce document. Demandez un document en cours de validité ; la personne peut contacter sa préfecture.",
      suspended: "N'acceptez pas ce document pour l'instant et vérifiez à nouveau plus tard ; la personne peut contacter sa préfecture.",
      superseded: "Demandez l'attestation de décision favorable ou le nouveau titre de séjour. Ce résultat ne dit pas quelle est la décision.",
      status_unknown: "Réessayez plus tard, avec une connexion à internet. Le document n'est pas faux : seul son état à jour manque.",
      invalid_signature: "N'acceptez pas ce document. Scannez à nouveau pour écarter une erreur de lecture ; sinon, la personne peut contacter sa préfecture.",
      unknown_issuer: "N'acceptez pas ce document. Si la personne conteste, elle peut contacter sa préfecture.",
      untrusted_issuer: "N'acceptez pas ce document. La personne peut demander une nouvelle attestation à sa préfecture.",
      malformed: "Scannez à nouveau le code, bien à plat et bien éclairé, ou saisissez le texte du code.",
    },
    reason: {
      prefix: "le texte ne commence pas par API1:",
      base45: "caractères invalides dans le code",
      zlib: "données compressées abîmées",
      too_large: "code trop long",
      cbor: "données abîmées",
      not_cose_sign1: "ce n'est pas un document signé",
      typ: "ce document signé n'est pas une attestation",
      alg: "algorithme de signature inconnu",
      claims: "contenu de l'attestation incomplet ou invalide",
      signature: "signature invalide",
      unknown_kid: "clé de signature inconnue",
      key_compromised: "la clé de la préfecture a été compromise",
      issuer_mismatch: "la clé n'appartient pas à l'émetteur indiqué",
      issued_after_retirement: "émis après le retrait de la clé",
      revoked: "annulée par la préfecture",
      superseded: "une décision a été prise",
      suspended: "suspendue par la préfecture",
      expired: "date de fin dépassée",
      not_yet_valid: "date de début pas encore atteinte",
      no_status: "aucune donnée d'état pour cette préfecture",
      status_stale: "données d'état trop anciennes",
      trust_list_expired: "liste de confiance expirée",
      status_error: "erreur interne de lecture de l'état",
      internal_error: "erreur interne",
    },
    compare: [
      "Comparez le nom, les prénoms et la date de naissance avec une pièce d'identité.",
      "Comparez le nom, les prénoms et la date de naissance avec une pièce d'identité, et demandez le titre de séjour expiré dont le numéro est indiqué : pour un renouvellement, l'attestation vaut avec lui.",
    ],
    work: [
      "N'autorise pas son titulaire à travailler (CESEDA, art. R. 431-15-2).",
      "Autorise son titulaire à travailler (CESEDA, art. R. 431-15-2).",
      "Autorise son titulaire à travailler, dans les mêmes conditions que son titre précédent (CESEDA, art. R. 431-15-2).",
    ],
    application: [
      "demande",
      "première demande",
      "renouvellement",
      "changement de statut",
    ],
    about: "L'attestation de prolongation d'instruction (API) est remise par la préfecture quand l'examen d'une demande de titre de séjour dure au-delà de la fin du titre détenu (CESEDA, art. R. 431-15-1). Pendant sa validité, elle prouve que son titulaire est en séjour régulier : avec le titre expiré pour un renouvellement, seule pour une première demande. Elle a remplacé l'ancien récépissé papier et elle est renouvelée tant que la préfecture n'a pas décidé.",
    disclaimer: "Information, pas un conseil juridique.",
    presentation: {
      reduced: "Code réduit de la carte du titulaire : il présente les noms, la date de naissance, la validité et le droit au travail, mais ni la nationalité, ni le numéro d'étranger, ni la demande. Pour un renouvellement, l'attestation vaut avec le titre de séjour expiré : si vous en avez besoin, demandez l'attestation complète.",
    },
  },
  en: {
    verdict: {
      valid: "Valid attestation: an official document of the préfecture, authentic and current.",
      expired: "Expired attestation: its end of validity has passed.",
      not_yet_valid: "Attestation not yet valid: its period of validity has not started.",
      revoked: "Attestation cancelled by the préfecture: it no longer proves anything.",
      suspended: "Attestation suspended by the préfecture: it cannot be accepted for now.",
      superseded: "Attestation replaced: the préfecture has decided on the application.",
      status_unknown: "Validity cannot be confirmed for now: the attestation is authentic, but its current status is not known.",
      invalid_signature: "Not authentic: the signature does not match, the document may have been altered or forged.",
      unknown_issuer: "Unknown issuer: this code was not signed by a recognised préfecture.",
      untrusted_issuer: "Untrusted issuer: the key that signed this code is not, or no longer, trusted.",
      malformed: "Unreadable code: this is not an attestation code, or it is damaged.",
    },
    next_step: {
      valid: "Check that the person is the holder, then accept the document.",
      expired: "Ask for a more recent attestation or the new residence permit. Until the préfecture decides, the attestation must be renewed: the holder can ask the préfecture for it.",
      not_yet_valid: "Check again from the start date, or ask for the current attestation.",
      revoked: "Do not accept this document. Ask for a current document; the holder can contact the préfecture.",
      suspended: "Do not accept this document for now and check again later; the holder can contact the préfecture.",
      superseded: "Ask for the attestation of favourable decision or the new residence permit. This result does not say what the decision is.",
      status_unknown: "Try again later, with an internet connection. The document is not forged: only its current status is missing.",
      invalid_signature: "Do not accept this document. Scan again to rule out a reading error; otherwise the holder can contact the préfecture.",
      unknown_issuer: "Do not accept this document. If the holder disagrees, they can contact the préfecture.",
      untrusted_issuer: "Do not accept this document. The holder can ask the préfecture for a new attestation.",
      malformed: "Scan the code again, flat and well lit, or type in the code's text.",
    },
    reason: {
      prefix: "the text does not start with API1:",
      base45: "invalid characters in the code",
      zlib: "damaged compressed data",
      too_large: "code too long",
      cbor: "damaged data",
      not_cose_sign1: "not a signed document",
      typ: "this signed document is not an attestation",
      alg: "unknown signature algorithm",
      claims: "attestation content incomplete or invalid",
      signature: "invalid signature",
      unknown_kid: "unknown signing key",
      key_compromised: "the préfecture's key was compromised",
      issuer_mismatch: "the key does not belong to the stated issuer",
      issued_after_retirement: "issued after the key was retired",
      revoked: "cancelled by the préfecture",
      superseded: "a decision was taken",
      suspended: "suspended by the préfecture",
      expired: "end date passed",
      not_yet_valid: "start date not reached",
      no_status: "no status data for this préfecture",
      status_stale: "status data too old",
      trust_list_expired: "trust list expired",
      status_error: "internal error reading the status",
      internal_error: "internal error",
    },
    compare: [
      "Compare the names and birth date with an identity document.",
      "Compare the names and birth date with an identity document, and ask for the expired residence permit whose number is shown: for a renewal, the attestation is valid together with it.",
    ],
    work: [
      "Does not allow its holder to work (CESEDA, art. R. 431-15-2).",
      "Allows its holder to work (CESEDA, art. R. 431-15-2).",
      "Allows its holder to work, under the same conditions as the previous permit (CESEDA, art. R. 431-15-2).",
    ],
    application: [
      "application",
      "first application",
      "renewal",
      "change of status",
    ],
    about: "The attestation de prolongation d'instruction (API) is given by the préfecture when the examination of a residence-permit application lasts beyond the end of the permit held (CESEDA, art. R. 431-15-1). While valid, it proves that its holder stays lawfully in France: together with the expired permit for a renewal, on its own for a first application. It replaced the old paper récépissé and is renewed as long as the préfecture has not decided.",
    disclaimer: "Information, not legal advice.",
    presentation: {
      reduced: "Reduced code of the holder's card: it presents the names, the birth date, the validity and the right to work, but not the nationality, the foreign-national number or the application. For a renewal, the attestation is valid together with the expired residence permit: if you need these, ask for the full attestation.",
    },
  },
};

const MONTHS = {
  fr: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};

const langOf = (lang) => (lang === 'en' ? 'en' : 'fr');

/** explain_reason: the text of a reason code; the code itself when unknown, '' for none. */
export function reasonText(lang, reason) {
  if (!reason) return '';
  const t = texts[langOf(lang)].reason;
  return Object.prototype.hasOwnProperty.call(t, reason) ? t[reason] : reason;
}

/** explain_date: a calendar date "YYYY-MM-DD" for people ("1er décembre 2026", "1 December 2026"); other text as is. */
export function formatDate(lang, ymd) {
  const d = parseDate(ymd);
  if (!d) return String(ymd);
  const l = langOf(lang);
  const day = l === 'fr' && d.d === 1 ? '1er' : String(d.d);
  return `${day} ${MONTHS[l][d.m - 1]} ${d.y}`;
}

/**
 * The explanation object of a report in one language, as report.c builds
 * it: verdict, reason (only with a reason), next_step, presentation (only
 * for a reduced code), compare and work (only for `valid`), about,
 * disclaimer.
 */
export function explanation(lang, verdict, reason, renewalWithPermit, wrk, presentation) {
  const t = texts[langOf(lang)];
  const v = Object.prototype.hasOwnProperty.call(t.verdict, verdict) ? verdict : 'malformed';
  const e = { verdict: t.verdict[v] };
  if (reason) e.reason = reasonText(lang, reason);
  e.next_step = t.next_step[v];
  if (presentation === 'reduced') e.presentation = t.presentation.reduced;
  if (verdict === 'valid') {
    e.compare = t.compare[renewalWithPermit ? 1 : 0];
    e.work = t.work[wrk <= 2 ? wrk : 0];
  }
  e.about = t.about;
  e.disclaimer = t.disclaimer;
  return e;
}
