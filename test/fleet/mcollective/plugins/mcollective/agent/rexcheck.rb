module MCollective
  module Agent
    # Test agent of mco-rex; its DDL (rexcheck.ddl) declares the inputs the daemon validates.
    class Rexcheck < RPC::Agent
      action "echo" do
        message = request[:message]
        message = message.upcase if request[:shout]
        reply[:message] = message
        reply[:length] = message.length
        reply[:identity] = config.identity
      end

      action "multiply" do
        reply[:product] = request[:value] * request[:factor]
      end

      action "uptime" do
        reply[:seconds] = File.read("/proc/uptime").split.first.to_f
        reply[:role] = Facts["hostgroup"]
      end

      action "reject" do
        reply[:reason] = request[:reason]
        if request[:reason] == "invalid"
          reply.fail!("rexcheck was asked to fail as invalid data", 4)
        else
          reply.fail!("rexcheck was asked to abort")
        end
      end

      action "delay" do
        seconds = request[:seconds]
        reply.fail!("seconds must be between 0 and 15", 4) unless (0..15).cover?(seconds)
        sleep(seconds)
        reply[:slept] = seconds
      end
    end
  end
end
