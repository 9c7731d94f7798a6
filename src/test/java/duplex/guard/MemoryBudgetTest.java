package duplex.guard;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBudgetTest {

    @Test
    void anAddressGetsItsShareAndNoMore() {
        MemoryBudget budget = new MemoryBudget(1000, 10_000);
        assertEquals(MemoryBudget.Verdict.CHARGED, budget.tryCharge("a", 600));
        assertEquals(MemoryBudget.Verdict.ADDRESS_FULL, budget.tryCharge("a", 401));
        assertEquals(MemoryBudget.Verdict.CHARGED, budget.tryCharge("a", 400));
        assertEquals(1000, budget.used("a"));
        assertEquals(MemoryBudget.Verdict.CHARGED, budget.tryCharge("b", 1000), "another address is not affected");
        assertEquals(2000, budget.used());
        assertFalse(budget.addressHasRoom("a", 1));
        assertTrue(budget.addressHasRoom("c", 1000));
    }

    @Test
    void theTotalBoundsEveryAddressTogether() {
        MemoryBudget budget = new MemoryBudget(1000, 2500);
        assertEquals(MemoryBudget.Verdict.CHARGED, budget.tryCharge("a", 1000));
        assertEquals(MemoryBudget.Verdict.CHARGED, budget.tryCharge("b", 1000));
        assertEquals(MemoryBudget.Verdict.SERVER_FULL, budget.tryCharge("c", 501));
        assertEquals(0, budget.used("c"), "a refused charge takes nothing");
        assertEquals(MemoryBudget.Verdict.CHARGED, budget.tryCharge("c", 500));
        assertFalse(budget.overTotal());
        budget.charge("cluster", 10); // what is already held is charged anyway, and makes it over
        assertTrue(budget.overTotal());
    }

    @Test
    void releasingGivesBackAndForgetsEmptyAddresses() {
        MemoryBudget budget = new MemoryBudget(1000, 10_000);
        budget.tryCharge("a", 700);
        budget.release("a", 300);
        assertEquals(400, budget.used("a"));
        budget.release("a", 1000); // more than held: never below zero, never taken from others
        assertEquals(0, budget.used("a"));
        assertEquals(0, budget.used());
        assertEquals(0, budget.addresses());
        budget.release("never-charged", 5);
        assertEquals(0, budget.used());
    }

    @Test
    void concurrentChargesOfOneAddressNeverPassItsShare() {
        MemoryBudget budget = new MemoryBudget(10_000, 1_000_000);
        List<CompletableFuture<Integer>> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(CompletableFuture.supplyAsync(() -> {
                int charged = 0;
                for (int i = 0; i < 10_000; i++) {
                    if (budget.tryCharge("a", 7) == MemoryBudget.Verdict.CHARGED) {
                        charged++;
                    }
                }
                return charged;
            }));
        }
        int charged = threads.stream().mapToInt(CompletableFuture::join).sum();
        assertEquals(10_000 / 7, charged);
        assertEquals(charged * 7L, budget.used());
    }

    @Test
    void theTotalMayNotBeSmallerThanAShare() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryBudget(1000, 999));
    }
}
