package duplex.browser;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.RenderingHints;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The echo page in headless Chromium against /echo of the built WAR in Tomcat. */
class EchoPageIT extends PageTestBase {

    @Test
    void connectEchoTextAndImageThenDisconnectCleanly() throws IOException {
        browser.open(server.http("echo.html"));
        assertEquals("CLOSED", browser.text("#state"));
        assertEquals("ws://localhost:" + server.port() + "/duplex/echo", browser.text("#url"));
        assertFalse(browser.find("#send").isEnabled(), "send is disabled until the connection is open");

        browser.find("#connect").click();
        browser.awaitText("#state", "OPEN");
        browser.awaitText("#protocol", "echo");
        assertTrue(browser.find("#send").isEnabled());
        assertFalse(browser.find("#connect").isEnabled(), "one connection at a time");

        // Text: typed, sent with Enter, and logged as it came back.
        String text = "héllo from Chromium, Ωmega ✓ <b>not bold</b>";
        browser.find("#text").sendKeys(text, Keys.ENTER);
        browser.await("the echoed text", d -> logLines("message").contains("text: " + text));
        assertTrue(logLines("sent").contains("text: " + text));
        assertEquals("", browser.find("#text").getDomProperty("value"), "the input is cleared after sending");
        assertTrue(browser.findAll("#log b").isEmpty(), "markup in a message is shown as text");

        // Image: picked with the file input, sent as one binary message, rendered when it comes back.
        Path png = smallPng(180, 96);
        browser.find("#file").sendKeys(png.toString());
        browser.await("the echoed image to render", d -> {
            Object width = browser.script("const i = document.getElementById('echoed-image');"
                    + " return i.complete && !i.hidden ? i.naturalWidth : 0;");
            return ((Number) width).intValue() > 0;
        });
        assertEquals(180L, (Long) browser.script("return document.getElementById('echoed-image').naturalWidth;"));
        assertEquals(96L, (Long) browser.script("return document.getElementById('echoed-image').naturalHeight;"));
        assertEquals(Files.size(png) + " bytes", browser.text("#image-info"));
        assertTrue(logLines("message").contains("binary: " + Files.size(png) + " bytes"));
        browser.screenshot("echo");

        // Disconnect: the browser's close handshake completes, clean, with the code it sent.
        browser.find("#disconnect").click();
        browser.awaitText("#state", "CLOSED");
        List<String> closes = logLines("close");
        assertEquals(1, closes.size(), closes::toString);
        assertTrue(closes.get(0).contains("code 1000"), closes::toString);
        assertTrue(closes.get(0).contains("wasClean true"), closes::toString);
        assertEquals("none", browser.text("#protocol"));
        assertTrue(browser.find("#connect").isEnabled(), "can connect again");
        assertFalse(browser.find("#send").isEnabled());
        assertEquals(List.of(), browser.consoleErrors());
    }

    /** The text of the event log's lines of one kind, without their time stamp and kind. */
    private static List<String> logLines(String kind) {
        return browser.findAll("#log li." + kind).stream()
                .map(WebElement::getText)
                .map(line -> line.replaceFirst("^.*?" + kind + "\\s+", ""))
                .toList();
    }

    /** A small PNG drawn here (no binary fixture in the repository): a blue card with a word. */
    private static Path smallPng(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(0, 0, new Color(0x2f6fed), width, height, new Color(0x1f9d55)));
        g.fillRect(0, 0, width, height);
        g.setColor(Color.WHITE);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, height / 3));
        String word = "echo";
        g.drawString(word, (width - g.getFontMetrics().stringWidth(word)) / 2, height / 2 + g.getFontMetrics().getAscent() / 3);
        g.dispose();
        Path file = Path.of("target", "echo-test.png").toAbsolutePath();
        ImageIO.write(image, "png", file.toFile());
        return file;
    }
}
