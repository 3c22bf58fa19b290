// Node modules the bundled libraries import but never use in the sandbox (https, zlib,
// fs): their transports are Python's.
export default {};
