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

      # Fixed values, so that two runs (mco-rex's and `mco rpc`'s) must answer the same.
      action "types" do
        reply[:time_utc] = Time.at(0).utc
        reply[:time_local] = Time.at(1700000000, 123456789, :nsec, :in => "+05:30")
        reply[:range] = (1..3)
        reply[:range_open] = (1.5...)
        reply[:symbol] = :rexcheck
        reply[:big] = 2**70
        reply[:exact] = 2**53 + 1
        reply[:negative] = -(2**64)
        reply[:zero] = 0.0
        reply[:negative_zero] = -0.0
        reply[:whole_float] = 100.0
        reply[:exponent] = 1e20
        reply[:tiny] = 1e-5
        reply[:third] = 1.0 / 3
        reply[:struct] = Process::Tms.new(0.5, 0.25, 0.0, 0)
        reply[:regexp] = /ab/i
        reply[:rational] = Rational(1, 3)
        reply[:text] = "caf\u00e9 \u2713 \"quoted\" tab\tnew\nline"
        reply[:nested] = {:symbol_key => [1, 2.0, nil, :x, "s"], "string_key" => {:deeper => 2**64}, 3 => "integer key", nil => "nil key"}
        reply[:none] = nil
        reply[:flags] = [true, false]
      end

      action "typed" do
        reply[:received] = request.data.reject { |k, _| k == :process_results }.map { |k, v| [k, "#{v.class}:#{v.inspect}"] }.to_h
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
