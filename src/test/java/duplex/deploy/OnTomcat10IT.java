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
 * Apache Tomcat 10.1; the server is stopped and its log checked afterwards, whatever the tests did.
 */
@Suite
@SuiteDisplayName("Duplex on Apache Tomcat 10.1")
@SelectPackages("duplex")
@IncludeClassNamePatterns(Deployment.SMOKE_SUITES)
public class OnTomcat10IT {

    private static final Deployment DEPLOYMENT = new Deployment(() -> TomcatDistribution.tomcat10("tomcat10").systemProperty(Settings.API_KEYS, Deployment.API_KEYS), true, true);

    @BeforeSuite
    static void deploy() {
        DEPLOYMENT.deploy();
    }

    @AfterSuite
    static void undeployAndCheckLog() {
        DEPLOYMENT.undeployAndCheckLog();
    }
}
