import fc from "fast-check";

/** Bytes of every kind the UTF-8 decoder tells apart: ASCII, lead, continuation and invalid bytes. */
export const anyUtf8Bytes = fc
  .array(
    fc.constantFrom(0x61, 0x0a, 0x7d, 0x20, 0x7f, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x90, 0x9b, 0x80, 0xff),
    {
      maxLength: 120,
    },
  )
  .map((bytes) => Buffer.from(bytes));
