package seckill.sale;

/** The course's three stock-deduction strategies, chosen per sale. */
public enum DeductionMode {
  /** 下单减库存: a reservation takes the unit for good. */
  ON_ORDER,
  /** 预扣库存: a reservation holds the unit until paid or until the hold expires. */
  HOLD,
  /** 付款减库存: orders take no stock; payment takes it or fails when none is left. */
  ON_PAYMENT
}
