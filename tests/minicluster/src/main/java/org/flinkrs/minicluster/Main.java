/*
 * The real Hadoop used by flink-rs tests and for trying flink-rs by hand.
 *
 * Starts, in this one JVM: (optionally) a MiniKdc, a MiniDFSCluster (one NameNode, one DataNode) and a
 * MiniYARNCluster (one ResourceManager, N NodeManagers with the DefaultContainerExecutor). Once everything is up it
 * writes the effective configuration (core-site.xml, hdfs-site.xml, yarn-site.xml and minicluster.properties) to the
 * conf dir, prints ONE line starting with "MINICLUSTER READY" on stdout and then waits. It stops cleanly on stdin EOF
 * or SIGTERM. All logging goes to a file (see -Dminicluster.log.file), never to stdout.
 *
 * Usage: Main --conf-dir DIR [--work-dir DIR] [--secure] [--nodemanagers N] [--nn-port PORT] [--cleanup]
 *             [--set key=value]...
 */
package org.flinkrs.minicluster;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class Main {

    /** Options from the command line. */
    static final class Options {
        File confDir;
        File workDir = new File(".").getAbsoluteFile();
        boolean secure;
        int nodeManagers = 2;
        int nameNodePort = 0;
        boolean cleanup;
        final Map<String, String> overrides = new LinkedHashMap<>();

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--conf-dir":
                        o.confDir = new File(value(args, ++i, a)).getAbsoluteFile();
                        break;
                    case "--work-dir":
                        o.workDir = new File(value(args, ++i, a)).getAbsoluteFile();
                        break;
                    case "--secure":
                        o.secure = true;
                        break;
                    case "--cleanup":
                        o.cleanup = true;
                        break;
                    case "--nodemanagers":
                        o.nodeManagers = intValue(args, ++i, a, 1, 16);
                        break;
                    case "--nn-port":
                        o.nameNodePort = intValue(args, ++i, a, 0, 65535);
                        break;
                    case "--set": {
                        String kv = value(args, ++i, a);
                        int eq = kv.indexOf('=');
                        if (eq <= 0) {
                            throw new IllegalArgumentException("--set expects key=value, got '" + kv + "'");
                        }
                        o.overrides.put(kv.substring(0, eq), kv.substring(eq + 1));
                        break;
                    }
                    case "-h":
                    case "--help":
                        throw new IllegalArgumentException("help requested");
                    default:
                        throw new IllegalArgumentException("unknown argument '" + a + "'");
                }
            }
            if (o.confDir == null) {
                throw new IllegalArgumentException("--conf-dir DIR is required");
            }
            return o;
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }

        private static int intValue(String[] args, int i, String flag, int min, int max) {
            String v = value(args, i, flag);
            try {
                int n = Integer.parseInt(v);
                if (n < min || n > max) {
                    throw new IllegalArgumentException(flag + " must be in " + min + ".." + max + ", got " + n);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " expects a number, got '" + v + "'");
            }
        }
    }

    static final String USAGE = "usage: Main --conf-dir DIR [--work-dir DIR] [--secure] [--nodemanagers N] "
            + "[--nn-port PORT] [--cleanup] [--set key=value]...";

    /** Principals created in secure mode (all in one keytab, instance "localhost"). */
    static final String[] SERVICE_PRINCIPALS = {"hdfs/localhost", "yarn/localhost", "HTTP/localhost", "flink/localhost"};

    private final Options options;
    private MiniKdc kdc;
    private MiniDFSCluster dfs;
    private MiniYARNCluster yarn;
    private Logger log;
    private boolean stopped;

    private Main(Options options) {
        this.options = options;
    }

    public static void main(String[] args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            stderr.println("minicluster: " + e.getMessage());
            stderr.println(USAGE);
            System.exit(2);
            return;
        }
        File logFile = configureLogging(options);
        Main main = new Main(options);
        Runtime.getRuntime().addShutdownHook(new Thread(main::stop, "minicluster-shutdown"));
        String ready;
        try {
            ready = main.start();
        } catch (Throwable t) {
            stderr.println("minicluster: startup FAILED: " + t);
            stderr.println("minicluster: see the log " + logFile);
            if (main.log != null) {
                main.log.error("startup failed", t);
            }
            System.exit(1);
            return;
        }
        stdout.println(ready);
        stdout.flush();
        main.log.info(ready);
        // Stop on stdin EOF (the parent went away or closed the pipe); SIGTERM runs the shutdown hook.
        try {
            InputStream in = System.in;
            byte[] buf = new byte[256];
            while (in.read(buf) >= 0) {
                // ignore input; only EOF matters
            }
        } catch (IOException e) {
            main.log.warn("reading stdin failed, stopping", e);
        }
        main.log.info("stdin closed, stopping");
        System.exit(0);
    }

    /** Route log4j (via system property), java.util.logging and stray System.out/err writes to files. */
    private static File configureLogging(Options options) {
        String configured = System.getProperty("minicluster.log.file");
        File logFile = configured != null ? new File(configured) : new File(options.workDir, "minicluster.log");
        logFile.getAbsoluteFile().getParentFile().mkdirs();
        System.setProperty("minicluster.log.file", logFile.getAbsolutePath());
        File stray = new File(logFile.getAbsoluteFile().getParentFile(), "minicluster-stdout.log");
        try {
            PrintStream strayOut = new PrintStream(new FileOutputStream(stray, true), true, "UTF-8");
            System.setOut(strayOut);
            System.setErr(strayOut);
        } catch (IOException e) {
            // keep the original streams; logging still goes to the log file
        }
        LogManager.getLogManager().reset();
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(Level.INFO);
        root.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                Logger l = LoggerFactory.getLogger(r.getLoggerName() == null ? "jul" : r.getLoggerName());
                String msg = r.getMessage();
                if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    l.error(msg, r.getThrown());
                } else if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    l.warn(msg, r.getThrown());
                } else {
                    l.debug(msg, r.getThrown());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        });
        return logFile;
    }

    private String start() throws Exception {
        log = LoggerFactory.getLogger(Main.class);
        long t0 = System.nanoTime();
        File dataDir = new File(options.workDir, "data");
        if (!dataDir.mkdirs() && !dataDir.isDirectory()) {
            throw new IOException("cannot create the data dir " + dataDir);
        }
        if (!options.confDir.mkdirs() && !options.confDir.isDirectory()) {
            throw new IOException("cannot create the conf dir " + options.confDir);
        }
        String user = System.getProperty("user.name");

        Configuration conf = new Configuration();
        conf.set("hadoop.tmp.dir", new File(dataDir, "tmp").getAbsolutePath());
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(dataDir, "dfs").getAbsolutePath());
        conf.setInt("dfs.replication", 1);
        conf.setBoolean("dfs.permissions.enabled", true);
        conf.set("dfs.permissions.superusergroup", "supergroup");
        conf.setInt("dfs.namenode.safemode.extension", 0);

        Map<String, String> securityInfo = new TreeMap<>();
        if (options.secure) {
            securityInfo = startKdc(conf);
        }
        for (Map.Entry<String, String> e : options.overrides.entrySet()) {
            conf.set(e.getKey(), e.getValue());
        }
        if (options.secure) {
            UserGroupInformation.setConfiguration(conf);
        }

        // ---- HDFS ----
        dfs = new MiniDFSCluster.Builder(conf)
                .numDataNodes(1)
                .nameNodePort(options.nameNodePort)
                .format(true)
                .build();
        dfs.waitActive();
        int nnPort = dfs.getNameNodePort();
        String defaultFs = "hdfs://127.0.0.1:" + nnPort;
        conf.set("fs.defaultFS", defaultFs);
        long tDfs = System.nanoTime();
        log.info("MiniDFSCluster up at {} after {} ms", defaultFs, (tDfs - t0) / 1_000_000);
        createHomeDirs(conf, user);

        // ---- YARN ----
        YarnConfiguration yconf = new YarnConfiguration(conf);
        applyYarnDefaults(yconf);
        for (Map.Entry<String, String> e : options.overrides.entrySet()) {
            yconf.set(e.getKey(), e.getValue());
        }
        yarn = new MiniYARNCluster("flink-rs-minicluster", 1, options.nodeManagers, 1, 1);
        yarn.init(yconf);
        yarn.start();
        if (!yarn.waitForNodeManagersToConnect(60_000)) {
            throw new IllegalStateException(options.nodeManagers + " NodeManagers did not register within 60 s");
        }
        Configuration effective = new Configuration(yarn.getConfig());
        effective.set("fs.defaultFS", defaultFs);
        String rm = effective.get(YarnConfiguration.RM_ADDRESS);
        if (rm == null || rm.endsWith(":0")) {
            throw new IllegalStateException("ResourceManager address was not resolved: " + rm);
        }
        long tYarn = System.nanoTime();
        log.info("MiniYARNCluster up at {} after {} ms", rm, (tYarn - tDfs) / 1_000_000);

        // ---- configuration files ----
        writeSiteFiles(effective);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("conf_dir", options.confDir.getAbsolutePath());
        facts.put("work_dir", options.workDir.getAbsolutePath());
        facts.put("fs", defaultFs);
        facts.put("nn_http", "http://127.0.0.1:" + dfs.getNameNode().getHttpAddress().getPort());
        facts.put("rm", rm);
        facts.put("rm_scheduler", effective.get(YarnConfiguration.RM_SCHEDULER_ADDRESS));
        facts.put("rm_tracker", effective.get(YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS));
        facts.put("rm_admin", effective.get(YarnConfiguration.RM_ADMIN_ADDRESS));
        facts.put("rm_web", "http://" + effective.get(YarnConfiguration.RM_WEBAPP_ADDRESS));
        facts.put("nodemanagers", Integer.toString(options.nodeManagers));
        facts.put("user", user);
        facts.put("secure", Boolean.toString(options.secure));
        facts.putAll(securityInfo);
        facts.put("pid", Long.toString(ProcessHandle.current().pid()));
        facts.put("startup_ms", Long.toString((tYarn - t0) / 1_000_000));
        writeProperties(facts);

        StringBuilder line = new StringBuilder("MINICLUSTER READY");
        for (Map.Entry<String, String> e : facts.entrySet()) {
            line.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        return line.toString();
    }

    /** MiniKdc with all service principals in one keytab; sets the kerberos Hadoop settings on conf. */
    private Map<String, String> startKdc(Configuration conf) throws Exception {
        File kdcDir = new File(options.workDir, "data/kdc");
        kdcDir.mkdirs();
        java.util.Properties kdcConf = MiniKdc.createConf();
        kdcConf.setProperty(MiniKdc.KDC_BIND_ADDRESS, "localhost");
        kdc = new MiniKdc(kdcConf, kdcDir);
        kdc.start();
        String realm = kdc.getRealm();
        File keytab = new File(options.confDir, "minicluster.keytab");
        kdc.createPrincipal(keytab, SERVICE_PRINCIPALS);

        // A krb5.conf for non-JVM clients (MIT kinit, GSSAPI): TCP only, no reverse DNS.
        File krb5 = new File(options.confDir, "krb5.conf");
        String krb5Text = "[libdefaults]\n"
                + "    default_realm = " + realm + "\n"
                + "    udp_preference_limit = 1\n"
                + "    rdns = false\n"
                + "    dns_canonicalize_hostname = false\n"
                + "    dns_lookup_kdc = false\n"
                + "    dns_lookup_realm = false\n"
                + "    forwardable = true\n"
                + "    ticket_lifetime = 24h\n"
                + "[realms]\n"
                + "    " + realm + " = {\n"
                + "        kdc = " + kdc.getHost() + ":" + kdc.getPort() + "\n"
                + "    }\n"
                + "[domain_realm]\n"
                + "    localhost = " + realm + "\n";
        writeAtomically(krb5, krb5Text);
        // The JVM itself uses MiniKdc's krb5.conf (set by MiniKdc.start as java.security.krb5.conf).

        String hdfsP = "hdfs/localhost@" + realm;
        // One JVM has one Kerberos login user, and every RPC server in it authenticates as that user
        // (the NameNode logs in first). So YARN daemons use the HDFS service principal too; otherwise
        // clients expecting yarn/localhost see hdfs/localhost and refuse the server.
        String yarnP = hdfsP;
        String httpP = "HTTP/localhost@" + realm;
        String kt = keytab.getAbsolutePath();
        conf.set("hadoop.security.authentication", "kerberos");
        conf.set("hadoop.security.authorization", "false");
        conf.set("hadoop.rpc.protection", "authentication");
        conf.set("dfs.namenode.kerberos.principal", hdfsP);
        conf.set("dfs.namenode.keytab.file", kt);
        conf.set("dfs.datanode.kerberos.principal", hdfsP);
        conf.set("dfs.datanode.keytab.file", kt);
        conf.set("dfs.web.authentication.kerberos.principal", httpP);
        conf.set("dfs.web.authentication.kerberos.keytab", kt);
        conf.setBoolean("dfs.block.access.token.enable", true);
        conf.set("dfs.data.transfer.protection", "authentication");
        conf.set("dfs.http.policy", "HTTP_ONLY");
        conf.setBoolean("ignore.secure.ports.for.testing", true);
        conf.set("yarn.resourcemanager.principal", yarnP);
        conf.set("yarn.resourcemanager.keytab", kt);
        conf.set("yarn.nodemanager.principal", yarnP);
        conf.set("yarn.nodemanager.keytab", kt);

        Map<String, String> info = new TreeMap<>();
        info.put("krb5_conf", krb5.getAbsolutePath());
        info.put("keytab", kt);
        info.put("realm", realm);
        info.put("kdc", kdc.getHost() + ":" + kdc.getPort());
        info.put("hdfs_principal", hdfsP);
        info.put("yarn_principal", yarnP);
        info.put("client_principal", "flink/localhost@" + realm);
        return info;
    }

    /** Settings for a small shared machine and fast tests. */
    private void applyYarnDefaults(YarnConfiguration c) {
        c.set(YarnConfiguration.RM_SCHEDULER,
                "org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler");
        c.set("yarn.scheduler.capacity.root.queues", "default");
        c.set("yarn.scheduler.capacity.root.default.capacity", "100");
        c.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        c.set("yarn.scheduler.capacity.maximum-am-resource-percent", "0.8");
        c.setInt("yarn.scheduler.minimum-allocation-mb", 64);
        c.setInt("yarn.scheduler.maximum-allocation-mb", 6144);
        c.setInt("yarn.scheduler.minimum-allocation-vcores", 1);
        c.setInt("yarn.scheduler.maximum-allocation-vcores", 4);
        c.setInt("yarn.nodemanager.resource.memory-mb", 6144);
        c.setInt("yarn.nodemanager.resource.cpu-vcores", 4);
        c.setBoolean("yarn.nodemanager.resource.detect-hardware-capabilities", false);
        c.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
        c.setFloat("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", 99.0f);
        c.setInt("yarn.nodemanager.delete.debug-delay-sec", 0);
        c.setBoolean("yarn.log-aggregation-enable", false);
        c.setInt("yarn.resourcemanager.nodemanagers.heartbeat-interval-ms", 100);
        c.setInt("yarn.am.liveness-monitor.expiry-interval-ms", 20_000);
        c.setInt("yarn.nm.liveness-monitor.expiry-interval-ms", 20_000);
        c.setBoolean("yarn.timeline-service.enabled", false);
        c.setBoolean(YarnConfiguration.YARN_MINICLUSTER_FIXED_PORTS, false);
        c.setBoolean("yarn.minicluster.control-resource-monitoring", false);
    }

    /** /user/<name> home directories (owned by the user) and a world-writable /tmp. */
    private void createHomeDirs(Configuration conf, String user) throws Exception {
        List<String> users = new ArrayList<>();
        users.add(user);
        String envUser = System.getenv("USER");
        if (envUser != null && !envUser.isEmpty() && !users.contains(envUser)) {
            users.add(envUser);
        }
        if (options.secure) {
            users.add("flink");
        }
        PrivilegedExceptionAction<Void> action = () -> {
            FileSystem fs = dfs.getFileSystem();
            fs.mkdirs(new org.apache.hadoop.fs.Path("/tmp"));
            fs.setPermission(new org.apache.hadoop.fs.Path("/tmp"), new FsPermission((short) 01777));
            for (String u : users) {
                org.apache.hadoop.fs.Path home = new org.apache.hadoop.fs.Path("/user/" + u);
                fs.mkdirs(home, new FsPermission((short) 0755));
                fs.setOwner(home, u, "supergroup");
            }
            return null;
        };
        if (options.secure) {
            UserGroupInformation hdfsUgi = UserGroupInformation.loginUserFromKeytabAndReturnUGI(
                    conf.get("dfs.namenode.kerberos.principal"), conf.get("dfs.namenode.keytab.file"));
            hdfsUgi.doAs(action);
        } else {
            action.run();
        }
    }

    private void writeSiteFiles(Configuration conf) throws IOException {
        Map<String, String> core = new TreeMap<>();
        Map<String, String> hdfs = new TreeMap<>();
        Map<String, String> yarnSite = new TreeMap<>();
        for (Map.Entry<String, String> e : conf) {
            String key = e.getKey();
            String value = conf.get(key); // with ${var} substitution
            if (value == null) {
                continue;
            }
            if (key.startsWith("dfs.")) {
                hdfs.put(key, value);
            } else if (key.startsWith("yarn.")) {
                yarnSite.put(key, value);
            } else {
                core.put(key, value);
            }
        }
        writeXml(new File(options.confDir, "core-site.xml"), core);
        writeXml(new File(options.confDir, "hdfs-site.xml"), hdfs);
        writeXml(new File(options.confDir, "yarn-site.xml"), yarnSite);
    }

    private static void writeXml(File file, Map<String, String> props) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<!-- Effective configuration of the running flink-rs minicluster (written after start). -->\n");
        sb.append("<configuration>\n");
        for (Map.Entry<String, String> e : props.entrySet()) {
            sb.append("  <property><name>").append(escape(e.getKey())).append("</name><value>")
                    .append(escape(e.getValue())).append("</value></property>\n");
        }
        sb.append("</configuration>\n");
        writeAtomically(file, sb.toString());
    }

    private void writeProperties(Map<String, String> facts) throws IOException {
        StringBuilder sb = new StringBuilder("# Facts about the running flink-rs minicluster\n");
        for (Map.Entry<String, String> e : facts.entrySet()) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        writeAtomically(new File(options.confDir, "minicluster.properties"), sb.toString());
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<': sb.append("&lt;"); break;
                case '>': sb.append("&gt;"); break;
                case '&': sb.append("&amp;"); break;
                case '"': sb.append("&quot;"); break;
                case '\'': sb.append("&apos;"); break;
                default:
                    if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
                        continue; // not representable in XML 1.0
                    }
                    sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** Write to a temp file and rename, so readers never see a half-written file. */
    private static void writeAtomically(File file, String text) throws IOException {
        Path target = file.toPath();
        Path tmp = target.resolveSibling("." + file.getName() + ".tmp");
        try (Writer w = new OutputStreamWriter(new FileOutputStream(tmp.toFile()), StandardCharsets.UTF_8)) {
            w.write(text);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Stop YARN (kills running containers), then HDFS, then the KDC. Safe to call twice. */
    private synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        Logger l = log != null ? log : LoggerFactory.getLogger(Main.class);
        l.info("stopping the minicluster");
        try {
            if (yarn != null) {
                yarn.stop();
            }
        } catch (Throwable t) {
            l.warn("stopping MiniYARNCluster failed", t);
        }
        try {
            if (dfs != null) {
                dfs.shutdown();
            }
        } catch (Throwable t) {
            l.warn("stopping MiniDFSCluster failed", t);
        }
        try {
            if (kdc != null) {
                kdc.stop();
            }
        } catch (Throwable t) {
            l.warn("stopping MiniKdc failed", t);
        }
        if (options.cleanup) {
            deleteRecursively(new File(options.workDir, "data"));
            if (yarn != null) {
                deleteRecursively(yarn.getTestWorkDir());
            }
        }
        l.info("minicluster stopped");
    }

    private static void deleteRecursively(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (File c : children) {
                if (!Files.isSymbolicLink(c.toPath())) {
                    deleteRecursively(c);
                } else {
                    c.delete();
                }
            }
        }
        f.delete();
    }
}
