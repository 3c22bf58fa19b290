// `require('crypto')` in a library bundle: the prelude's crypto, whose randomness Python
// seeds (a second copy would have no entropy).
const { crypto } = globalThis.__functions_driver;
export default crypto;
export const { randomBytes, createHash, createHmac } = crypto;
