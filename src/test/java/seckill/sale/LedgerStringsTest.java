package seckill.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LedgerStringsTest {

  @Test
  void aStringsHashIsJavasWithoutMakingTheString() {
    LedgerStrings strings = new LedgerStrings();
    for (String s : List.of("", "buyer-1", "Zoë", "名字", "\ud800 lone surrogate", "x".repeat(5_000))) {
      int ref = strings.add(s);
      assertEquals(s, strings.get(ref));
      assertTrue(strings.equalTo(ref, s));
      assertEquals(s.hashCode(), strings.hashCodeOf(ref), s);
    }
  }
}
