package seckill.sale;

import seckill.serialization.CborSerializable;

/**
 * A waiting-room admission the sale decided a reserve on: the first request that presented it, and
 * whether the sale refused that request (then the admission is spent, for that request's retries too).
 * {@code admission} is the admission's rank in its sale's room.
 */
public record AdmissionUse(long admission, String buyer, String requestId, boolean refused) implements CborSerializable {}
