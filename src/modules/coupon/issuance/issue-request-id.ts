import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../../platform/config/app-config';
import { InjectAppConfig } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/errors/domain-error';

const VERSION = 1;
const NONCE_BYTES = 12;
const MAC_BYTES = 10;
/** version, coupon id, nonce, then the MAC of all that and the user: 27 bytes, 36 base64url characters. */
const ID_BYTES = 1 + 4 + NONCE_BYTES + MAC_BYTES;
const SIGNED_PART = ID_BYTES - MAC_BYTES;
export const ISSUE_REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{36}$/;

/**
 * Queue-strategy request ids that prove the app issued them, to whom and for which coupon.
 *
 * The 202 answers before any row exists (the consumer writes the decision); the Kafka message is
 * the durable record. Until the decision is written, the status endpoint answers PENDING for an id
 * whose MAC verifies for the caller, and 404 for anything else, so an accepted request is never
 * 404 and another user's id (or a made-up one) never reads as PENDING.
 *
 * Layout: `[1][coupon id: uint32][12 random bytes][HMAC-SHA256(key, first 17 bytes ‖ user id)[0..10]]`,
 * base64url. The key is derived from JWT_SECRET (HKDF), which every instance already shares; a
 * changed JWT_SECRET turns still-undecided ids into 404 until their decision is written.
 */
@Injectable()
export class IssueRequestIds {
  private readonly key: Buffer;
  private pool = Buffer.alloc(0);
  private poolAt = 0;

  constructor(@InjectAppConfig() config: AppConfig) {
    this.key = Buffer.from(hkdfSync('sha256', config.jwt.secret, Buffer.alloc(0), 'coupon issue request id', 32));
  }

  /** A fresh request id of `userId` for `couponId`. */
  issue(couponId: number, userId: number): string {
    const id = Buffer.alloc(ID_BYTES);
    id.writeUInt8(VERSION, 0);
    id.writeUInt32BE(couponId, 1);
    this.nonce().copy(id, 5);
    this.mac(id.subarray(0, SIGNED_PART), userId).copy(id, SIGNED_PART);
    return id.toString('base64url');
  }

  /** The coupon of a request id this app issued to `userId`; undefined for any other string. */
  couponOf(requestId: string, userId: number): number | undefined {
    if (!ISSUE_REQUEST_ID_PATTERN.test(requestId)) return undefined;
    const id = Buffer.from(requestId, 'base64url');
    if (id.length !== ID_BYTES || id.readUInt8(0) !== VERSION) return undefined;
    const expected = this.mac(id.subarray(0, SIGNED_PART), userId);
    return timingSafeEqual(expected, id.subarray(SIGNED_PART)) ? id.readUInt32BE(1) : undefined;
  }

  /** 12 random bytes, from a pool filled a few hundred ids at a time (one `randomBytes` call per id shows in CPU profiles). */
  private nonce(): Buffer {
    if (this.poolAt + NONCE_BYTES > this.pool.length) {
      this.pool = randomBytes(NONCE_BYTES * 341);
      this.poolAt = 0;
    }
    this.poolAt += NONCE_BYTES;
    return this.pool.subarray(this.poolAt - NONCE_BYTES, this.poolAt);
  }

  private mac(signed: Buffer, userId: number): Buffer {
    return createHmac('sha256', this.key).update(signed).update(String(userId)).digest().subarray(0, MAC_BYTES);
  }
}

/** A request id path parameter: 36 characters of base64url (a UUID, from versions before signed ids, is one too), else 400. */
@Injectable()
export class ParseIssueRequestIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    if (typeof value === 'string' && ISSUE_REQUEST_ID_PATTERN.test(value)) return value;
    const field = metadata.data ?? 'requestId';
    throw new DomainError('VALIDATION_FAILED', `${field} must be an issue request id`, {
      errors: [{ field, message: 'must be 36 characters of A-Z, a-z, 0-9, - and _' }],
    });
  }
}
