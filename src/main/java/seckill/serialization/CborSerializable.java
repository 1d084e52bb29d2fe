package seckill.serialization;

/** Marker for messages and events serialized with Jackson CBOR (bound in serialization.conf). */
public interface CborSerializable {}
