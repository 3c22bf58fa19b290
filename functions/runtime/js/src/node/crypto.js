// `require('crypto')` in bundled libraries (form-data's boundary): the sandbox's crypto.
import { crypto } from "../crypto.js";
export default crypto;
export const { randomBytes, createHash, createHmac } = crypto;
