import java.util.concurrent.locks.LockSupport;

/**
 * The demo's victim: a pretend checkout service with one thread stuck in a hot loop
 * ("pricing-loop") and a few idle request workers. jdd should rank pricing-loop #1.
 */
public final class CheckoutService {
    static volatile double sink;

    public static void main(String[] args) {
        for (int i = 1; i <= 4; i++) {
            Thread worker = new Thread(() -> {
                while (true) {
                    LockSupport.park();
                }
            }, "http-worker-" + i);
            worker.setDaemon(true);
            worker.start();
        }
        Thread hot = new Thread(CheckoutService::recomputePrices, "pricing-loop");
        hot.start();
        System.out.println("checkout service running, pid " + ProcessHandle.current().pid());
    }

    static void recomputePrices() {
        double price = 1;
        while (true) {
            price = Math.sqrt(price * 1.0001 + 3);
            sink = price;
        }
    }
}
