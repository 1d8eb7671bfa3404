/**
 * Google Authenticator's migration payload (`otpauth-migration://offline?data=<base64>`), proto3,
 * as published in Aegis' `google_auth.proto`. Shared by the importer and the exporter.
 */
import protobuf from 'protobufjs/light.js';

export const ALGORITHM = { UNSPECIFIED: 0, SHA1: 1, SHA256: 2, SHA512: 3, MD5: 4 } as const;
export const DIGIT_COUNT = { UNSPECIFIED: 0, SIX: 1, EIGHT: 2 } as const;
export const OTP_TYPE = { UNSPECIFIED: 0, HOTP: 1, TOTP: 2 } as const;

const root = protobuf.Root.fromJSON({
  nested: {
    MigrationPayload: {
      fields: {
        otp_parameters: { rule: 'repeated', type: 'OtpParameters', id: 1 },
        version: { type: 'int32', id: 2 },
        batch_size: { type: 'int32', id: 3 },
        batch_index: { type: 'int32', id: 4 },
        batch_id: { type: 'int32', id: 5 },
      },
      nested: {
        Algorithm: {
          values: {
            ALGORITHM_UNSPECIFIED: 0,
            ALGORITHM_SHA1: 1,
            ALGORITHM_SHA256: 2,
            ALGORITHM_SHA512: 3,
            ALGORITHM_MD5: 4,
          },
        },
        DigitCount: { values: { DIGIT_COUNT_UNSPECIFIED: 0, DIGIT_COUNT_SIX: 1, DIGIT_COUNT_EIGHT: 2 } },
        OtpType: { values: { OTP_TYPE_UNSPECIFIED: 0, OTP_TYPE_HOTP: 1, OTP_TYPE_TOTP: 2 } },
        OtpParameters: {
          fields: {
            secret: { type: 'bytes', id: 1 },
            name: { type: 'string', id: 2 },
            issuer: { type: 'string', id: 3 },
            algorithm: { type: 'Algorithm', id: 4 },
            digits: { type: 'DigitCount', id: 5 },
            type: { type: 'OtpType', id: 6 },
            counter: { type: 'int64', id: 7 },
          },
        },
      },
    },
  },
});

export const MigrationPayload = root.lookupType('MigrationPayload');

/** One account, as decoded (enums as numbers, the int64 counter as a decimal string). */
export interface RawOtpParameters {
  secret: Uint8Array;
  name: string;
  issuer: string;
  algorithm: number;
  digits: number;
  type: number;
  counter: string;
}

interface RawMigrationPayload {
  otp_parameters: RawOtpParameters[];
  version: number;
  batch_size: number;
  batch_index: number;
  batch_id: number;
}

/** Throws whatever protobufjs throws on a malformed buffer; the caller words the error. */
export function decodeMigrationPayload(bytes: Uint8Array): RawMigrationPayload {
  const message = MigrationPayload.decode(bytes);
  return MigrationPayload.toObject(message, {
    longs: String,
    enums: Number,
    bytes: Buffer,
    defaults: true,
    arrays: true,
  }) as RawMigrationPayload;
}

export function encodeMigrationPayload(payload: RawMigrationPayload): Uint8Array {
  const message = MigrationPayload.fromObject({
    ...payload,
    otp_parameters: payload.otp_parameters.map((p) => ({ ...p, counter: p.counter })),
  });
  return MigrationPayload.encode(message).finish();
}
