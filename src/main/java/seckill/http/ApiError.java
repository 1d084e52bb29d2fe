package seckill.http;

/** The body of every error answer: a machine-readable code and a sentence for people. */
public record ApiError(String error, String message) {}
