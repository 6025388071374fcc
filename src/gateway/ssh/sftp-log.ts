// Watches a raw SFTP stream (it passes through untouched) to log each file transferred: path, direction, size and
// SHA-256 when the file was read or written front to back, which is what OpenSSH's sftp and scp do.
import { createHash, type Hash } from 'node:crypto';

export interface FileTransfer {
  path: string;
  direction: 'upload' | 'download';
  bytes: number;
  /** Null when the file was accessed out of order (resume, random access): the hash would not be the file's. */
  sha256: string | null;
}

const OPEN = 3;
const CLOSE = 4;
const READ = 5;
const WRITE = 6;
const STATUS = 101;
const HANDLE = 102;
const DATA = 103;
const FXF_WRITE = 0x02;
const MAX_PACKET = 512 * 1024;

interface OpenFile {
  path: string;
  writing: boolean;
  hash: Hash;
  bytes: number;
  nextOffset: bigint;
  sequential: boolean;
}

function packetReader(onPacket: (packet: Buffer) => void) {
  let pending: Buffer | undefined;
  let broken = false;
  return (chunk: Buffer) => {
    if (broken) return;
    let buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (length > MAX_PACKET) {
        broken = true; // not SFTP as we know it; stop watching, the bytes still pass through
        return;
      }
      if (buffer.length < 4 + length) break;
      onPacket(buffer.subarray(4, 4 + length));
      buffer = buffer.subarray(4 + length);
    }
    pending = buffer.length ? Buffer.from(buffer) : undefined;
  };
}

function readString(packet: Buffer, offset: number): [Buffer, number] {
  const length = packet.readUInt32BE(offset);
  return [packet.subarray(offset + 4, offset + 4 + length), offset + 4 + length];
}

export function createSftpTransferLog(onTransfer: (transfer: FileTransfer) => void) {
  const opening = new Map<number, { path: string; writing: boolean }>();
  const reads = new Map<number, { handle: string; offset: bigint }>();
  const closing = new Map<number, string>();
  const files = new Map<string, OpenFile>();

  const account = (file: OpenFile, offset: bigint, data: Buffer) => {
    if (offset !== file.nextOffset) file.sequential = false;
    if (file.sequential) file.hash.update(data);
    file.bytes += data.length;
    file.nextOffset = offset + BigInt(data.length);
  };

  const safely = (handle: (packet: Buffer) => void) => (packet: Buffer) => {
    try {
      handle(packet);
    } catch {
      /* a malformed packet is the target's problem to reject; logging just skips it */
    }
  };

  return {
    fromClient: packetReader(
      safely((packet) => {
        const type = packet[0];
        if (type === undefined || packet.length < 5) return;
        const id = packet.readUInt32BE(1);
        if (type === OPEN) {
          const [path, next] = readString(packet, 5);
          const flags = packet.readUInt32BE(next);
          opening.set(id, { path: path.toString('utf8'), writing: (flags & FXF_WRITE) !== 0 });
        } else if (type === READ) {
          const [handle, next] = readString(packet, 5);
          reads.set(id, { handle: handle.toString('hex'), offset: packet.readBigUInt64BE(next) });
        } else if (type === WRITE) {
          const [handle, next] = readString(packet, 5);
          const file = files.get(handle.toString('hex'));
          if (file) account(file, packet.readBigUInt64BE(next), readString(packet, next + 8)[0]);
        } else if (type === CLOSE) {
          closing.set(id, readString(packet, 5)[0].toString('hex'));
        }
      }),
    ),
    fromServer: packetReader(
      safely((packet) => {
        const type = packet[0];
        if (type === undefined || packet.length < 5) return;
        const id = packet.readUInt32BE(1);
        if (type === HANDLE) {
          const open = opening.get(id);
          opening.delete(id);
          if (open) {
            files.set(readString(packet, 5)[0].toString('hex'), {
              ...open,
              hash: createHash('sha256'),
              bytes: 0,
              nextOffset: 0n,
              sequential: true,
            });
          }
        } else if (type === DATA) {
          const read = reads.get(id);
          reads.delete(id);
          const file = read && files.get(read.handle);
          if (file && read) account(file, read.offset, readString(packet, 5)[0]);
        } else if (type === STATUS) {
          opening.delete(id);
          reads.delete(id);
          const handle = closing.get(id);
          closing.delete(id);
          const file = handle !== undefined ? files.get(handle) : undefined;
          if (handle !== undefined && file) {
            files.delete(handle);
            if (file.writing || file.bytes > 0) {
              onTransfer({
                path: file.path,
                direction: file.writing ? 'upload' : 'download',
                bytes: file.bytes,
                sha256: file.sequential ? file.hash.digest('hex') : null,
              });
            }
          }
        }
      }),
    ),
  };
}
