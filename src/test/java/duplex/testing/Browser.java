package duplex.testing;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.UnexpectedAlertBehaviour;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.logging.Level;

/**
 * A real headless Chromium, the one Debian packages ({@code apt-get install chromium
 * chromium-driver}), driven through the system's chromedriver by Selenium. Nothing is
 * downloaded: the driver and the browser are named explicitly, so Selenium Manager never runs.
 *
 * <p>Starting Chromium costs about a second, so each named browser ({@link #named}) starts once
 * per test JVM and is shared by the test classes; each has its own profile directory, so two
 * of them are as independent as two people's browsers (no shared cookies or storage). They quit
 * when the JVM exits.
 *
 * <p>Without Chromium the browser tests are skipped with a message saying how to install it,
 * except under {@code CI=true}, where they fail: CI must never pass without running them.
 */
public final class Browser {

    public static final Duration TIMEOUT = WsClient.TIMEOUT;
    public static final Path CHROMIUM = Path.of(System.getProperty("duplex.chromium", "/usr/bin/chromium"));
    public static final Path CHROMEDRIVER = Path.of(System.getProperty("duplex.chromedriver", "/usr/bin/chromedriver"));
    /** The window's size unless a test changes it ({@link #resize}). */
    public static final int WIDTH = 1280;
    public static final int HEIGHT = 900;
    public static final Path SCREENSHOTS = Path.of("target", "screenshots").toAbsolutePath();

    private static final Map<String, Browser> SHARED = new ConcurrentHashMap<>();
    private static final AtomicBoolean SKIP_ANNOUNCED = new AtomicBoolean();

    private final String name;
    private final ChromeDriver driver;

    private Browser(String name, ChromeDriver driver) {
        this.name = name;
        this.driver = driver;
    }

    /**
     * Skips the calling test (or fails it under {@code CI=true}) when the system has no
     * Chromium or chromedriver. Call it first, in {@code @BeforeAll}.
     */
    public static void assumeAvailable() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (present) {
            return;
        }
        String message = "Browser tests need Chromium and chromedriver at " + CHROMIUM + " and " + CHROMEDRIVER
                + ". Install them with `sudo apt-get install chromium chromium-driver` (Debian/Ubuntu), or point "
                + "-Dduplex.chromium and -Dduplex.chromedriver at yours.";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("CI=true: browser tests must run. " + message);
        }
        // Maven counts a class skipped in @BeforeAll as neither run nor skipped: say it out loud, once.
        if (!SKIP_ANNOUNCED.getAndSet(true)) {
            System.err.println("[WARNING] Browser tests SKIPPED. " + message);
        }
        Assumptions.abort(message);
    }

    /** The shared browser of that name, started on first use. */
    public static Browser named(String name) {
        assumeAvailable();
        return SHARED.computeIfAbsent(name, Browser::launch);
    }

    private static Browser launch(String name) {
        Path profile;
        try {
            Files.createDirectories(Path.of("target").toAbsolutePath());
            profile = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "chromium-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                // A page whose tab is not focused must not have its timers throttled: the chat's
                // reconnect timer runs in a background page here.
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--window-size=" + WIDTH + "," + HEIGHT, "--lang=en-US",
                "--user-data-dir=" + profile);
        // A dialog (alert) must stay open so that a test can see it, not be dismissed silently.
        options.setUnhandledPromptBehaviour(UnexpectedAlertBehaviour.IGNORE);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream())
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(TIMEOUT).scriptTimeout(TIMEOUT);
        Browser browser = new Browser(name, driver);
        Runtime.getRuntime().addShutdownHook(new Thread(browser::quit, "quit-chromium-" + name));
        return browser;
    }

    public String name() {
        return name;
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Opens the URL in this browser's window and waits for the page to load. */
    public Browser open(URI uri) {
        driver.get(uri.toString());
        return this;
    }

    public WebElement find(String cssSelector) {
        return driver.findElement(By.cssSelector(cssSelector));
    }

    public List<WebElement> findAll(String cssSelector) {
        return driver.findElements(By.cssSelector(cssSelector));
    }

    /** The element's text as rendered (textContent, so hidden ancestors do not blank it). */
    public String text(String cssSelector) {
        return find(cssSelector).getDomProperty("textContent");
    }

    /** Waits until the condition holds (returns non-null and not false), failing after {@link #TIMEOUT}. */
    public <T> T await(String what, Function<ChromeDriver, T> condition) {
        WebDriverWait wait = new WebDriverWait(driver, TIMEOUT, Duration.ofMillis(50));
        wait.withMessage(() -> "[" + name + "] waiting for " + what + " at " + driver.getCurrentUrl());
        try {
            return wait.until((ExpectedCondition<T>) d -> condition.apply(driver));
        } catch (TimeoutException e) {
            throw new AssertionError(e.getMessage().lines().findFirst().orElse("") + " " + e.getMessage().lines().skip(1).findFirst().orElse("")
                    + "\nThe page showed (screenshot " + failureScreenshot() + "):\n" + pageText(), e);
        }
    }

    /** A screenshot for a failed wait, so that CI shows what the page looked like. */
    private Path failureScreenshot() {
        try {
            return screenshot("failed-" + name + "-" + System.currentTimeMillis());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private String pageText() {
        try {
            String text = driver.findElement(By.tagName("body")).getText();
            return text.length() > 3000 ? text.substring(0, 3000) + " ..." : text;
        } catch (RuntimeException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Waits until the element's text equals {@code expected}. */
    public void awaitText(String cssSelector, String expected) {
        await("text of " + cssSelector + " to be \"" + expected + "\"", d -> expected.equals(text(cssSelector)));
    }

    @SuppressWarnings("unchecked")
    public <T> T script(String javascript, Object... args) {
        return (T) ((JavascriptExecutor) driver).executeScript(javascript, args);
    }

    /** Whether a JavaScript dialog (alert, confirm, prompt) is open. */
    public boolean dialogOpen() {
        try {
            driver.switchTo().alert();
            return true;
        } catch (NoAlertPresentException e) {
            return false;
        }
    }

    /** Console errors and uncaught exceptions logged since the last call. */
    public List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .toList();
    }

    /** Saves what the window shows to {@code target/screenshots/NAME.png}. */
    public Path screenshot(String fileName) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(fileName + ".png");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets the window's size, for screenshots of a given shape. */
    public Browser resize(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
        return this;
    }

    /** Saves the windows of several browsers side by side, as one picture, to {@code target/screenshots/NAME.png}. */
    public static Path screenshotSideBySide(String fileName, Browser... browsers) {
        try {
            List<BufferedImage> shots = new ArrayList<>();
            for (Browser browser : browsers) {
                shots.add(ImageIO.read(new ByteArrayInputStream(browser.driver.getScreenshotAs(OutputType.BYTES))));
            }
            int gap = 12;
            int width = shots.stream().mapToInt(BufferedImage::getWidth).sum() + gap * (shots.size() - 1);
            int height = shots.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
            BufferedImage joined = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = joined.createGraphics();
            g.setColor(new Color(0x8a93a6));
            g.fillRect(0, 0, width, height);
            int x = 0;
            for (BufferedImage shot : shots) {
                g.drawImage(shot, x, 0, null);
                x += shot.getWidth() + gap;
            }
            g.dispose();
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(fileName + ".png");
            ImageIO.write(joined, "png", file.toFile());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void quit() {
        try {
            driver.quit();
        } catch (RuntimeException e) {
            // The JVM is exiting; a browser that is already gone is fine.
        }
    }
}
