package duplex.deploy;

import duplex.app.Settings;
import org.junit.platform.suite.api.AfterSuite;
import org.junit.platform.suite.api.BeforeSuite;
import org.junit.platform.suite.api.IncludeClassNamePatterns;
import org.junit.platform.suite.api.SelectPackages;
import org.junit.platform.suite.api.Suite;
import org.junit.platform.suite.api.SuiteDisplayName;

/**
 * The protocol suites (EchoIT, ChatIT, QuotesIT ...) run unchanged against the WAR deployed on
 * Payara Micro 6; the server is stopped and its log checked afterwards, whatever the tests did.
 */
@Suite
@SuiteDisplayName("Duplex on Payara Micro 6")
@SelectPackages("duplex")
@IncludeClassNamePatterns(Deployment.SMOKE_SUITES)
public class OnPayaraMicroIT {

    private static final Deployment DEPLOYMENT = new Deployment(() -> new PayaraMicroServer("payara-micro").knob(Settings.API_KEYS, Deployment.API_KEYS), false, false);

    @BeforeSuite
    static void deploy() {
        DEPLOYMENT.deploy();
    }

    @AfterSuite
    static void undeployAndCheckLog() {
        DEPLOYMENT.undeployAndCheckLog();
    }
}
