/** Annotations that sealed Secrets carry in plain text, shared by the sealer and the reviewers' summary. */

/** HMAC (host-held key) of a Secret's plaintext: an unchanged Secret keeps its file byte for byte. */
export const PLAINTEXT_HMAC_ANNOTATION = 'dokku-gitops.io/plaintext-hmac';

/** JSON of short HMACs per data key: which keys changed, without revealing a value. */
export const KEY_HMACS_ANNOTATION = 'dokku-gitops.io/key-hmacs';
