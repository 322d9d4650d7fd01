/**
 * Answers shown in the order they were asked. A page that reads again on every live event, and
 * whose person acts meanwhile, may have several requests in flight; the network and the hub may
 * answer them out of order, and an older answer shown after a newer one would undo it (a comment
 * just added vanishes from the trail until the next change). `ask()` gives a ticket when a request
 * is sent; `show(ticket)` says whether its answer is still news (no later-asked answer is shown).
 */
export function newestFirst() {
  let asked = 0;
  let shown = 0;
  return {
    ask: () => ++asked,
    show(ticket) {
      if (ticket < shown) return false;
      shown = ticket;
      return true;
    },
  };
}
