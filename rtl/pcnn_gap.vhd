-- pcnn_gap: global average pool, sat8(RNE(sum * 2**d / (H*W))) bit-exact.
-- Input: one whole pixel per beat (G_CH channels), G_PIXELS pixels per image, images
-- back to back (count-based framing). Per channel the pixels are summed; at the end
-- of an image the sums move to a second bank and are divided there, one channel per
-- clock, by a reciprocal multiply whose constants come from Python
-- (pocket_cnn.vhdl.gap, proven exact for every reachable sum), while the next image
-- accumulates. Output: one beat with all G_CH results per image, m_last = '1'.
-- The steps per channel (s = sum): c = clamp(s, LO, HI); k = c*A + B (>= 0);
-- p = k*M; q0 = (p >> S) - K0; tie = (p mod 2**S) < M; q = q0 - 1 if tie and q0 odd.
-- k of the channel at the head of the bank is registered as that channel arrives
-- there, the rest is done while dividing (two shorter paths instead of one long one).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_gap is
  generic (
    G_CH       : positive := 1;   -- channels
    G_PIXELS   : positive := 1;   -- H*W pixels per image
    G_ACC_BITS : positive := 9;   -- signed width of a channel sum
    G_CLAMP_LO : integer  := -128;  -- sums at or below saturate to -128
    G_CLAMP_HI : integer  := 127;   -- sums at or above saturate to 127
    G_MUL_A    : positive := 2;   -- k = clamp(sum) * G_MUL_A + G_ADD_B
    G_ADD_B    : natural  := 1;
    G_K_BITS   : positive := 9;   -- unsigned width of k
    G_MUL_M    : positive := 1;   -- reciprocal: p = k * G_MUL_M
    G_M_BITS   : positive := 1;   -- unsigned width of G_MUL_M
    G_SHIFT    : positive := 1;   -- q0 = (p >> G_SHIFT) - G_K0
    G_K0       : natural  := 0
  );
  port (
    clk     : in  std_logic;
    rst     : in  std_logic;      -- synchronous, active high
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CH * 8 - 1 downto 0);
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CH * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_gap;

architecture rtl of pcnn_gap is
  -- bits of an unsigned vector holding 0 .. v
  function ubits(v : natural) return positive is
    variable n : positive := 1;
  begin
    while n < 31 and 2 ** n <= v loop
      n := n + 1;
    end loop;
    return n;
  end function;
  function imax(a : integer; b : integer) return integer is
  begin
    if a > b then
      return a;
    end if;
    return b;
  end function;
  function imin(a : integer; b : integer) return integer is
  begin
    if a < b then
      return a;
    end if;
    return b;
  end function;
  constant C_P_BITS : positive := G_K_BITS + G_M_BITS;
  type acc_array_t is array (0 to G_CH - 1) of signed(G_ACC_BITS - 1 downto 0);
  type word_array_t is array (0 to G_CH - 1) of std_logic_vector(7 downto 0);

  signal acc      : acc_array_t := (others => (others => '0'));
  signal bank     : acc_array_t := (others => (others => '0'));
  -- scale() of the channel at the head of the bank (bank(0) itself is not used)
  signal k0       : unsigned(G_K_BITS - 1 downto 0) := (others => '0');
  -- the channel that moves to the head on a step (0 when there is only one)
  constant C_NEXT : natural := imax(0, imin(1, G_CH - 1));
  signal res      : word_array_t := (others => (others => '0'));
  signal pix_cnt  : natural range 0 to G_PIXELS - 1 := 0;
  signal bank_busy : std_logic := '0';
  signal bank_cnt : natural range 0 to G_CH - 1 := 0;
  signal res_vld  : std_logic := '0';
  signal rdy      : std_logic;
  signal step     : std_logic;
  signal q8       : std_logic_vector(7 downto 0);

  -- the reciprocal divide of one channel sum, in two halves on narrow vectors only
  -- (k = c*A + B fits C_T_BITS signed, q0 = (p >> S) - K0 fits C_Q_BITS signed)
  constant C_A_BITS : positive := ubits(G_MUL_A) + 1;
  constant C_T_BITS : positive := imax(G_ACC_BITS + C_A_BITS, ubits(G_ADD_B) + 1) + 1;
  constant C_Q_BITS : positive := imax(imax(C_P_BITS - G_SHIFT, ubits(G_K0)), 8) + 2;
  -- first half, applied when the sums move to the bank: k = clamp(s, LO, HI) * A + B
  function scale(s : signed) return unsigned is
    variable c : signed(G_ACC_BITS - 1 downto 0);
    variable t : signed(C_T_BITS - 1 downto 0);
  begin
    if s <= to_signed(G_CLAMP_LO, G_ACC_BITS) then
      c := to_signed(G_CLAMP_LO, G_ACC_BITS);
    elsif s >= to_signed(G_CLAMP_HI, G_ACC_BITS) then
      c := to_signed(G_CLAMP_HI, G_ACC_BITS);
    else
      c := s;
    end if;
    t := resize(c * to_signed(G_MUL_A, C_A_BITS), C_T_BITS) + to_signed(G_ADD_B, C_T_BITS);
    return resize(unsigned(t), G_K_BITS);
  end function scale;

  -- second half, one channel per clock: the reciprocal multiply, RNE tie fix and sat8
  function divide(k : unsigned) return std_logic_vector is
    variable p    : unsigned(C_P_BITS - 1 downto 0);
    variable q0   : signed(C_Q_BITS - 1 downto 0);
    variable tie  : boolean;
  begin
    p := k * to_unsigned(G_MUL_M, G_M_BITS);
    q0 := signed(resize(p(C_P_BITS - 1 downto G_SHIFT), C_Q_BITS)) - to_signed(G_K0, C_Q_BITS);
    tie := p(G_SHIFT - 1 downto 0) < to_unsigned(G_MUL_M, G_SHIFT + G_M_BITS);
    if tie and q0(0) = '1' then
      q0 := q0 - to_signed(1, C_Q_BITS);
    end if;
    if q0 > to_signed(127, C_Q_BITS) then
      q0 := to_signed(127, C_Q_BITS);
    elsif q0 < to_signed(-128, C_Q_BITS) then
      q0 := to_signed(-128, C_Q_BITS);
    end if;
    return std_logic_vector(q0(7 downto 0));
  end function divide;
begin
  -- the last pixel of an image needs a free bank for the finished sums
  rdy  <= '1' when pix_cnt /= G_PIXELS - 1 or bank_busy = '0' else '0';
  -- divide one channel per clock unless an unread result blocks the result register
  step <= '1' when bank_busy = '1' and (res_vld = '0' or m_ready = '1') else '0';
  q8   <= divide(k0);

  process (clk)
    variable x   : signed(G_ACC_BITS - 1 downto 0);
    variable sum : signed(G_ACC_BITS - 1 downto 0);
  begin
    if rising_edge(clk) then
      if rst = '1' then
        pix_cnt   <= 0;
        bank_busy <= '0';
        bank_cnt  <= 0;
        res_vld   <= '0';
      else
        if m_ready = '1' then
          res_vld <= '0';
        end if;
        if step = '1' then
          for c in 0 to G_CH - 2 loop
            bank(c) <= bank(c + 1);
            res(c)  <= res(c + 1);
          end loop;
          k0 <= scale(bank(C_NEXT));
          res(G_CH - 1) <= q8;
          if bank_cnt = G_CH - 1 then
            bank_cnt  <= 0;
            bank_busy <= '0';
            res_vld   <= '1';
          else
            bank_cnt <= bank_cnt + 1;
          end if;
        end if;
        if s_valid = '1' and rdy = '1' then
          for c in 0 to G_CH - 1 loop
            x := resize(signed(s_data(8 * c + 7 downto 8 * c)), G_ACC_BITS);
            if pix_cnt = 0 then
              sum := x;
            else
              sum := acc(c) + x;
            end if;
            acc(c) <= sum;
            if pix_cnt = G_PIXELS - 1 then
              bank(c) <= sum;
              if c = 0 then
                k0 <= scale(sum);
              end if;
            end if;
          end loop;
          if pix_cnt = G_PIXELS - 1 then
            pix_cnt   <= 0;
            bank_busy <= '1';
          else
            pix_cnt <= pix_cnt + 1;
          end if;
        end if;
      end if;
    end if;
  end process;

  s_ready <= rdy;
  m_valid <= res_vld;
  m_last  <= '1';
  pack : for c in 0 to G_CH - 1 generate
    m_data(8 * c + 7 downto 8 * c) <= res(c);
  end generate pack;
end architecture rtl;
