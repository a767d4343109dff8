/*
 * A reference YARN client for checking the minicluster: submits an application whose ApplicationMaster is a
 * shell command, waits until YARN reports a final state and prints one line:
 *   APP <application id> state=<YarnApplicationState> final=<FinalApplicationStatus> diagnostics=<text>
 * The command never registers with the RM, so YARN ends the app as FAILED after the single attempt; what matters is
 * that the NodeManager really launched the container (the command's side effects prove it).
 *
 * Usage: SubmitShellApp --conf-dir DIR --command 'shell command' [--timeout-s N] [--principal P --keytab FILE]
 * (for a secure cluster also pass -Djava.security.krb5.conf=DIR/krb5.conf to the JVM).
 */
package org.flinkrs.minicluster;

import java.io.File;
import java.util.Collections;
import java.util.EnumSet;

import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

public final class SubmitShellApp {
    public static void main(String[] args) throws Exception {
        String confDir = null;
        String command = null;
        int timeoutS = 90;
        String principal = null;
        String keytab = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--conf-dir": confDir = args[i + 1]; break;
                case "--command": command = args[i + 1]; break;
                case "--timeout-s": timeoutS = Integer.parseInt(args[i + 1]); break;
                case "--principal": principal = args[i + 1]; break;
                case "--keytab": keytab = args[i + 1]; break;
                default:
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
            }
        }
        if (confDir == null || command == null) {
            System.err.println("usage: SubmitShellApp --conf-dir DIR --command 'shell command' [--timeout-s N]");
            System.exit(2);
        }
        YarnConfiguration conf = new YarnConfiguration();
        conf.addResource(new Path(new File(confDir, "core-site.xml").getAbsolutePath()));
        conf.addResource(new Path(new File(confDir, "yarn-site.xml").getAbsolutePath()));
        if (principal != null && keytab != null) {
            UserGroupInformation.setConfiguration(conf);
            UserGroupInformation.loginUserFromKeytab(principal, keytab);
        }
        YarnClient client = YarnClient.createYarnClient();
        client.init(conf);
        client.start();
        try {
            YarnClientApplication app = client.createApplication();
            ApplicationSubmissionContext ctx = app.getApplicationSubmissionContext();
            ApplicationId id = ctx.getApplicationId();
            ctx.setApplicationName("flink-rs minicluster smoke test");
            ctx.setQueue("default");
            ctx.setMaxAppAttempts(1);
            ctx.setResource(Resource.newInstance(128, 1));
            ContainerLaunchContext clc = ContainerLaunchContext.newInstance(
                    Collections.emptyMap(), Collections.emptyMap(),
                    Collections.singletonList("/bin/sh -c '" + command.replace("'", "'\\''") + "'"),
                    null, null, null);
            ctx.setAMContainerSpec(clc);
            client.submitApplication(ctx);
            long deadline = System.currentTimeMillis() + timeoutS * 1000L;
            EnumSet<YarnApplicationState> done = EnumSet.of(
                    YarnApplicationState.FINISHED, YarnApplicationState.FAILED, YarnApplicationState.KILLED);
            ApplicationReport report = client.getApplicationReport(id);
            while (!done.contains(report.getYarnApplicationState())) {
                if (System.currentTimeMillis() > deadline) {
                    System.out.println("APP " + id + " state=TIMEOUT(" + report.getYarnApplicationState()
                            + ") final=UNDEFINED diagnostics=" + oneLine(report.getDiagnostics()));
                    System.exit(3);
                }
                Thread.sleep(200);
                report = client.getApplicationReport(id);
            }
            System.out.println("APP " + id + " user=" + report.getUser()
                    + " state=" + report.getYarnApplicationState()
                    + " final=" + report.getFinalApplicationStatus()
                    + " diagnostics=" + oneLine(report.getDiagnostics()));
        } finally {
            client.stop();
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
