package dev.jdd.router;

import dev.jdd.common.CaptureInfo;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The captures pages in a real browser (Debian's chromium and chromium-driver, headless, through Selenium): a real agent
 * (local runtime) captures a real hot JVM on node-a; node-b is a fake agent on loopback that serves that same real dump
 * with the hot thread renamed to hostile markup, a collapsed profile, and a capture that is still running.
 */
class RouterPagesIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String TOKEN = "pages-token";
    static final String HOSTILE = "<img src=x onerror=alert(1)>";
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    static HotJvm jvm;
    static RealAgents agents;
    static FakeAgent fake;
    static TestRouter router;
    static String realId;
    static String realDump;
    static Path profileDir;
    static ChromeDriverService service;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
        jvm = HotJvm.start();
        agents = RealAgents.start(TOKEN, "node-a");
        fake = FakeAgent.start("127.0.0.9", 0, TOKEN);
        router = TestRouter.start(null, "--token=" + TOKEN,
                "--agents=" + agents.agentsFlag("node-a") + ",node-b=" + fake.uri());

        String body = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{"
                + "\"alertname\":\"JvmCpuHigh\",\"namespace\":\"demo\",\"pod\":\"checkout-1\",\"container\":\"pid-" + jvm.pid()
                + "\",\"node\":\"node-a\"}}]}";
        HttpResponse<String> res = router.post("/hooks", body);
        assertEquals(202, res.statusCode(), res.body());
        realId = Json.MAPPER.readTree(res.body()).get("targets").get(0).get("captureId").asText();
        realDump = EndToEndIT.waitForDump(router, "node-a", realId);
        assertTrue(realDump.contains("\"hot-spinner\""), realDump);

        // node-b: the same real dump, its hot thread renamed to markup; a collapsed profile; a capture still running
        String hostileDump = realDump.replace("hot-spinner", HOSTILE).replace("# node: node-a", "# node: node-b")
                .replace("checkout-1", "checkout-2");
        fake.dumps.put("c-hostile", hostileDump);
        fake.profiles.put("c-hostile", """
                java.lang.Thread.run;dev.jdd.testing.Spinner.lambda$main$0;dev.jdd.testing.Spinner.spin 960
                java.lang.Thread.run;dev.jdd.testing.Spinner.lambda$main$1;dev.jdd.testing.Spinner.parkForever;jdk.internal.misc.Unsafe.park 25
                java.lang.Thread.run;%s 5
                jdk.internal.misc.InnocuousThread.run;java.lang.ref.Reference.processPendingReferences 10
                """.formatted(HOSTILE));
        String now = Instant.now().toString();
        fake.captures.add(new CaptureInfo("c-hostile", "node-b", "demo", "checkout-2", "app", now, now, "ok", "jcmd", 0,
                (long) hostileDump.length()));
        fake.captures.add(new CaptureInfo("c-running", "node-b", "demo", "checkout-3", "app", now, null, null, null, null, null));

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        profileDir = Files.createTempDirectory("jdd-chromium-");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profileDir, "--window-size=1400,1100");
        // The driver is Debian's, named explicitly: Selenium Manager never runs and nothing is downloaded.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (router != null) {
            router.close();
        }
        if (fake != null) {
            fake.close();
        }
        if (agents != null) {
            agents.close();
        }
        if (jvm != null) {
            jvm.close();
        }
        if (profileDir != null) {
            try (Stream<Path> files = Files.walk(profileDir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    @Test
    void listShowsEveryCaptureWithItsBusiestThreadAndFilters() throws Exception {
        browser.get(router.uri("/captures").toString());
        WebElement table = browser.findElement(By.id("captures"));
        List<WebElement> rows = table.findElements(By.cssSelector("tbody tr"));
        assertEquals(3, rows.size(), table.getText());
        WebElement real = row(rows, realId);
        assertEquals("hot-spinner", real.findElement(By.cssSelector("td.thread")).getText(), real.getText());
        assertTrue(real.findElement(By.cssSelector("td.num")).getText().matches("\\d+\\.\\d%"), real.getText());
        assertEquals("ok", real.findElement(By.cssSelector(".outcome")).getText());
        WebElement hostile = row(rows, "c-hostile");
        assertEquals(HOSTILE, hostile.findElement(By.cssSelector("td.thread")).getText(), "markup shows as text");
        assertEquals("running", row(rows, "c-running").findElement(By.cssSelector(".outcome")).getText());
        assertEquals(0, browser.findElements(By.tagName("img")).size(), "no markup from a dump became an element");
        screenshot("captures-list.png");

        browser.get(router.uri("/captures?node=node-a&outcome=ok&since=1h").toString());
        List<WebElement> filtered = browser.findElements(By.cssSelector("#captures tbody tr"));
        assertEquals(1, filtered.size());
        assertTrue(filtered.getFirst().getText().contains(realId));
        browser.get(router.uri("/captures?outcome=running").toString());
        assertEquals(1, browser.findElements(By.cssSelector("#captures tbody tr")).size());

        // the link opens the capture's page
        browser.get(router.uri("/captures").toString());
        row(browser.findElements(By.cssSelector("#captures tbody tr")), realId).findElement(By.linkText(realId)).click();
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().endsWith("/captures/node-a/" + realId));
    }

    @Test
    void capturePageRanksTheHotThreadFirstAndOpensItsStack() throws Exception {
        browser.get(router.uri("/captures/node-a/" + realId).toString());
        List<WebElement> threads = waitFor(By.cssSelector("#threads li"));
        assertTrue(threads.size() >= 2, "the JVM has more threads than the hot one");
        WebElement first = threads.getFirst();
        assertEquals("hot-spinner", first.findElement(By.cssSelector(".name")).getText());
        int widest = threads.stream().mapToInt(t -> t.findElement(By.cssSelector(".fill")).getSize().getWidth()).max().orElseThrow();
        int firstWidth = first.findElement(By.cssSelector(".fill")).getSize().getWidth();
        assertEquals(widest, firstWidth, "the hot thread has the widest bar");
        assertTrue(firstWidth > 100, "the widest bar fills its track: " + firstWidth);

        WebElement stack = first.findElement(By.cssSelector("pre.stack"));
        assertFalse(stack.isDisplayed(), "stacks start folded");
        first.findElement(By.tagName("summary")).click();
        assertTrue(stack.isDisplayed());
        assertTrue(stack.getText().contains("Spinner.spin"), stack.getText());

        String facts = browser.findElement(By.id("facts-list")).getText();
        assertTrue(facts.contains("JvmCpuHigh") && facts.contains("node-a") && facts.contains("demo / checkout-1"), facts);
        assertTrue(browser.findElement(By.id("states")).getText().contains("RUNNABLE"));
        WebElement profile = browser.findElement(By.id("profile-status"));
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> !profile.getText().isEmpty());
        assertTrue(profile.getText().equals("No profile for this capture.") || profile.getText().matches("\\d+ samples\\."),
                profile.getText());
        screenshot("capture-page.png");

        // the raw dump is one click away, as text
        String raw = browser.findElement(By.id("raw-link")).getDomAttribute("href");
        HttpResponse<String> rawAnswer = router.get(raw, "Accept", "text/html");
        assertTrue(rawAnswer.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertEquals(realDump, rawAnswer.body());
    }

    @Test
    void hostileNamesStayTextAndTheFlameGraphShowsTheHotMethod() throws Exception {
        browser.get(router.uri("/captures/node-b/c-hostile").toString());
        List<WebElement> threads = waitFor(By.cssSelector("#threads li"));
        assertEquals(HOSTILE, threads.getFirst().findElement(By.cssSelector(".name")).getText());
        waitFor(By.cssSelector("#flame g.frame"));
        Thread.sleep(1000); // the frames grow to their widths in a short transition
        assertThrows(NoAlertPresentException.class, () -> browser.switchTo().alert(), "no script from a dump ran");
        assertEquals(0, browser.findElements(By.tagName("img")).size(), "no markup from a dump became an element");

        // the hot path: from the root, always into the widest child; it ends in the hot method
        String hotLeaf = (String) ((JavascriptExecutor) browser).executeScript("""
                const frames = Array.from(document.querySelectorAll('#flame g.frame')).map(g => {
                  const m = /translate\\(([-\\d.]+),([-\\d.]+)\\)/.exec(g.getAttribute('transform'));
                  return {name: g.getAttribute('name'), x: +m[1], y: +m[2], w: +g.querySelector('rect').getAttribute('width')};
                });
                let at = frames.reduce((a, b) => b.y > a.y ? b : a);
                const row = 18;
                for (;;) {
                  const kids = frames.filter(f => Math.abs(f.y - (at.y - row)) < 1 && f.x >= at.x - 0.5 && f.x + f.w <= at.x + at.w + 0.5);
                  if (!kids.length) return at.name;
                  at = kids.reduce((a, b) => b.w > a.w ? b : a);
                }
                """);
        assertEquals("dev.jdd.testing.Spinner.spin", hotLeaf);
        assertTrue(browser.findElement(By.id("profile-status")).getText().startsWith("1000 samples"));
        assertTrue(browser.findElements(By.cssSelector("#flame g.frame")).stream()
                .anyMatch(g -> HOSTILE.equals(g.getDomAttribute("name"))), "a frame named like markup is drawn, as text");
        screenshot("capture-flame-graph.png");

        // search highlights, click zooms
        browser.findElement(By.id("flame-term")).sendKeys("Spinner.spin");
        browser.findElement(By.cssSelector("#flame-search button[type=submit]")).click();
        WebElement spin = browser.findElement(By.cssSelector("#flame g.frame[name='dev.jdd.testing.Spinner.spin'] rect"));
        assertEquals("#e600e6", spin.getDomAttribute("fill").toLowerCase(), "the search highlights the frame");
        double svgWidth = Double.parseDouble(browser.findElement(By.cssSelector("#flame svg")).getDomAttribute("width"));
        assertTrue(Double.parseDouble(spin.getDomAttribute("width")) < 0.99 * svgWidth);
        browser.findElement(By.cssSelector("#flame g.frame[name='dev.jdd.testing.Spinner.spin']")).click();
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> Double.parseDouble(d.findElement(
                By.cssSelector("#flame g.frame[name='dev.jdd.testing.Spinner.spin'] rect")).getDomAttribute("width")) > 0.99 * svgWidth);
    }

    @Test
    void runningCaptureSaysSoAndRefreshesItselfWhenDone() throws Exception {
        String now = Instant.now().toString();
        fake.captures.add(new CaptureInfo("c-later", "node-b", "demo", "checkout-4", "app", now, null, null, null, null, null));
        browser.get(router.uri("/captures/node-b/c-later").toString());
        WebElement status = browser.findElement(By.id("status"));
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> status.getText().contains("still running"));
        assertTrue(browser.findElement(By.id("threads-section")).getDomAttribute("hidden") != null);

        fake.dumps.put("c-later", realDump.replace("# node: node-a", "# node: node-b"));
        fake.captures.removeIf(c -> c.captureId().equals("c-later"));
        List<WebElement> threads = waitFor(By.cssSelector("#threads li"));
        assertEquals("hot-spinner", threads.getFirst().findElement(By.cssSelector(".name")).getText());
        assertFalse(status.isDisplayed());
        assertEquals("No profile for this capture.", browser.findElement(By.id("profile-status")).getText());
    }

    @Test
    void pagesForbidInlineScript() throws Exception {
        for (String path : List.of("/captures", "/captures/node-a/" + realId, "/static/capture.js")) {
            HttpResponse<String> res = router.get(path, "Accept", "text/html");
            assertEquals(200, res.statusCode(), path);
            String csp = res.headers().firstValue("Content-Security-Policy").orElse("");
            assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), path + ": " + csp);
        }
        String page = router.get("/captures/node-a/" + realId, "Accept", "text/html").body();
        assertFalse(page.matches("(?s).*<script>.*|.*\\son[a-z]+=.*"), "no inline script or event handler:\n" + page);
        HttpResponse<String> vendor = router.get("/static/vendor/d3-flamegraph.min.js");
        assertEquals(200, vendor.statusCode());
        assertTrue(vendor.body().contains("d3-flame-graph") || vendor.body().contains("flamegraph"));
        assertEquals(404, router.get("/captures/node-b/nothing-here/summary").statusCode());
    }

    private static WebElement row(List<WebElement> rows, String id) {
        return rows.stream().filter(r -> r.getText().contains(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + id));
    }

    private static List<WebElement> waitFor(By by) {
        return new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> {
            List<WebElement> found = d.findElements(by);
            return found.isEmpty() ? null : found;
        });
    }

    private static void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(shot.toPath());
    }
}
