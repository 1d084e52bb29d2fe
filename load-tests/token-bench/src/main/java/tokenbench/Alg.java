package tokenbench;

/** The two token algorithms the service can be configured for. */
enum Alg {
  HS256,
  RS256
}
