// The `stream` module that node-fetch, form-data and xml import. No Node streams exist
// in the sandbox: these classes only back `instanceof` checks and `emit`, so a body is
// never mistaken for a stream and form-data can report its errors.
import { EventEmitter } from "events";

export class Stream extends EventEmitter {
  pipe(dest) {
    this.on("data", (chunk) => dest.write(chunk));
    this.on("end", () => dest.end && dest.end());
    return dest;
  }
}
export class Readable extends Stream {}
export class PassThrough extends Readable {}
Stream.Stream = Stream;
Stream.Readable = Readable;
Stream.PassThrough = PassThrough;
export default Stream;
