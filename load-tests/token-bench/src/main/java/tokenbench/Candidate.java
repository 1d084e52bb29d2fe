package tokenbench;

/** One way to check a buyer token: the buyer it names, or null for anything refused. */
interface Candidate {

  String buyerOf(String token);

  /** The candidates by name, in the table's order. */
  static Candidate of(String name, Alg alg, Keys keys) throws Exception {
    return switch (name) {
      case "nimbus-processor" -> new NimbusProcessor(alg, keys);
      case "nimbus-direct" -> new NimbusDirect(alg, keys);
      case "jose4j" -> new Jose4j(alg, keys);
      case "java-jwt" -> new JavaJwt(alg, keys);
      case "jjwt" -> new Jjwt(alg, keys);
      case "jdk" -> new PlainJdk(alg, keys);
      default -> throw new IllegalArgumentException("unknown candidate " + name);
    };
  }

  String[] NAMES = {"nimbus-processor", "nimbus-direct", "jose4j", "java-jwt", "jjwt", "jdk"};
}
