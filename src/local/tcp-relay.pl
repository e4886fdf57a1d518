#!/usr/bin/perl
# The drift probe's TCP connection, run by OpenSSH's client as its ProxyCommand:
#
#   perl tcp-relay.pl HOST PORT TIMEOUT ATTEMPTS [REPORT]
#
# connects to HOST:PORT and relays standard input and output to it, until the server closes.
# Why it could not reach the server goes to standard error and, given REPORT, into that file
# too: ssh sends a ProxyCommand's standard error to /dev/null when its connection is to stay
# open in the background (ControlPersist), and the probe reads the cause from REPORT instead.
# Each of ATTEMPTS rounds (one second apart, as OpenSSH's ConnectionAttempts) tries every
# address HOST has, TIMEOUT seconds each; the server then has TIMEOUT seconds to say its first
# bytes (its SSH banner). With a ProxyCommand, ssh's own ConnectTimeout and ConnectionAttempts
# do not apply, so they are here.
#
# Why a relay: OpenSSH's client turns Nagle's algorithm off (TCP_NODELAY) only once its session
# starts. Until then, during the key exchange and authentication, a small packet written right
# after another waits for the server's delayed acknowledgement (about 40 ms on Linux), and the
# server's packets wait for the client's in the same way: a few times per connection. This
# socket has TCP_NODELAY from the start, and acknowledges at once (TCP_QUICKACK, re-armed after
# every read, where the system has it). The relay sees only SSH's encrypted stream.
#
# `perl tcp-relay.pl --check` loads what the relay needs and exits 0: whether it can run here.
# Only Perl's core modules: Perl is on every Debian and Ubuntu system and on macOS.
use strict;
use warnings;
use Socket qw(getaddrinfo SOCK_STREAM IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_KEEPALIVE);

exit 0 if @ARGV == 1 && $ARGV[0] eq '--check';

my $report;
# Set once the server has said its first bytes: what fails after that is no longer the
# probe's to report (the connection may be a background master's by then).
my $heard = 0;

sub fail {
    my $line = "tcp-relay: $_[0]\n";
    print STDERR $line;
    if (defined $report && !$heard && open(my $file, '>', $report)) {
        print $file $line;
        close $file;
    }
    exit 255;
}

fail('usage: tcp-relay.pl HOST PORT TIMEOUT ATTEMPTS [REPORT] (whole numbers, TIMEOUT and ATTEMPTS at least 1)')
  unless (@ARGV == 4 || @ARGV == 5) && $ARGV[1] =~ /^[0-9]+$/ && $ARGV[2] =~ /^[1-9][0-9]*$/ && $ARGV[3] =~ /^[1-9][0-9]*$/;
my ($host, $port, $timeout, $attempts) = @ARGV;
$report = $ARGV[4];
# Linux's; undefined where the system has no such option.
my $quickack = eval { Socket::TCP_QUICKACK() };

# One round over the host's addresses: a connected socket, or why none connected.
sub connect_once {
    my ($error, @addresses) = getaddrinfo($host, $port, { socktype => SOCK_STREAM, protocol => IPPROTO_TCP });
    return (undef, "cannot resolve $host: $error") if $error;
    my $why = "$host has no address";
    for my $address (@addresses) {
        socket(my $socket, $address->{family}, $address->{socktype}, $address->{protocol}) or do { $why = "socket: $!"; next };
        my $connected = eval {
            local $SIG{ALRM} = sub { die "timeout\n" };
            alarm $timeout;
            my $done = connect($socket, $address->{addr});
            alarm 0;
            die "$!\n" unless $done;
            1;
        };
        alarm 0;
        return ($socket) if $connected;
        chomp(my $reason = $@);
        $why = $reason eq 'timeout' ? "no connection to $host port $port within $timeout s" : "connect to $host port $port: $reason";
        close $socket;
    }
    return (undef, $why);
}

my ($socket, $why);
for my $round (1 .. $attempts) {
    sleep 1 if $round > 1;
    ($socket, $why) = connect_once();
    last if $socket;
}
fail($why) unless $socket;
setsockopt($socket, IPPROTO_TCP, TCP_NODELAY, 1) or fail("TCP_NODELAY: $!");
setsockopt($socket, SOL_SOCKET, SO_KEEPALIVE, 1);
setsockopt($socket, IPPROTO_TCP, $quickack, 1) if defined $quickack;

# Writes all of a buffer (a write may take part of it); false when the other side has gone.
sub write_all {
    my ($handle, $buffer) = @_;
    while (length $buffer) {
        my $written = syswrite($handle, $buffer);
        if (!defined $written) {
            next if $!{EINTR};
            return 0;
        }
        substr($buffer, 0, $written, '');
    }
    return 1;
}

my $deadline = time + $timeout;
my $reading_input = 1;
while (1) {
    my $want = '';
    vec($want, fileno($socket), 1) = 1;
    vec($want, fileno(STDIN), 1) = 1 if $reading_input;
    my $wait;
    unless ($heard) {
        $wait = $deadline - time;
        fail("no answer from $host port $port within $timeout s") if $wait <= 0;
    }
    my $ready = select(my $readable = $want, undef, undef, $wait);
    if ($ready < 0) {
        next if $!{EINTR};
        fail("select: $!");
    }
    next if $ready == 0;
    if (vec($readable, fileno($socket), 1)) {
        my $got = sysread($socket, my $buffer, 65536);
        if (!defined $got) {
            next if $!{EINTR};
            fail("read from $host port $port: $!");
        }
        last if $got == 0;
        setsockopt($socket, IPPROTO_TCP, $quickack, 1) if defined $quickack;
        $heard = 1;
        last unless write_all(\*STDOUT, $buffer);
    }
    if ($reading_input && vec($readable, fileno(STDIN), 1)) {
        my $got = sysread(STDIN, my $buffer, 65536);
        next if !defined $got && $!{EINTR};
        if (!$got) {
            # ssh has nothing more to send: pass the end on, and keep relaying the server's side.
            shutdown($socket, 1);
            $reading_input = 0;
        } elsif (!write_all($socket, $buffer)) {
            fail("write to $host port $port: $!");
        }
    }
}
exit 0;
