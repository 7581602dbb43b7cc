/*
 * Starts DynamoDB Local listening on one address (local mode passes 127.0.0.1) instead of every interface.
 *
 * DynamoDB Local has no host option: its DynamoDBProxyServer builds a Jetty Server(port), whose connector binds
 * all interfaces. This launcher builds the server exactly as DynamoDBLocal.jar's own main does
 * (ServerRunner.createServerFromCommandLineArgs, same arguments), sets the host on the Jetty connectors before
 * they open, and starts it. Jetty is reached by reflection, so this file compiles against DynamoDBLocal.jar alone.
 *
 * Usage: java -cp DynamoDBLocal.jar:<dir of this class> DynamoDbLocalLoopback <host> <DynamoDB Local options…>
 * local/java.ts compiles it once into .ddblocal/ and local/dynamodb-local.ts runs it.
 */
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import java.util.Arrays;

class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: DynamoDbLocalLoopback <host> <DynamoDB Local options>");
      System.exit(2);
    }
    String host = args[0];
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));

    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Object jetty = field.get(proxy);
    Object[] connectors = (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty);
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local's Jetty server has no connector");
    for (Object connector : connectors) {
      connector.getClass().getMethod("setHost", String.class).invoke(connector, host);
    }

    // start() prints "Could not start server on port …" and returns when the port is taken; exit then, as the
    // jar's own main would leave a process with nothing to serve.
    proxy.start();
    if (!(Boolean) jetty.getClass().getMethod("isStarted").invoke(jetty)) System.exit(1);
    System.out.println("Listening on " + host);
  }
}
