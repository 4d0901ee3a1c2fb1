-- pcnn_gap: global average pool, bit-exact QLinearGlobalAveragePool (any scale, zero
-- points folded into the constants; bytes in the internal int8 convention).
-- Input: one whole pixel per beat (G_CFG.ch channels), G_CFG.pixels pixels per image,
-- images back to back (count-based framing). Two forms (G_CFG.banked, chosen by
-- pocket_cnn.ir.cycles.gap_banked: the lean one wherever it costs no clock):
--   banked: the incoming pixel is registered first, then summed per channel; at the end
--     of an image the sums move to a second bank, which feeds one channel per clock into
--     a registered divide pipeline while the next image accumulates (max(pixels, ch)
--     clocks per image);
--   in place: each pixel is summed straight from s_data; after the last pixel of an
--     image the sums themselves shift out, one channel per clock, into the divide
--     pipeline while the next image waits (pixels + ch clocks per image).
-- The divide is a reciprocal multiply, constants from Python (pocket_cnn.emit.gap,
-- proven exact for every reachable sum). Output (G_CFG.serial): one beat with all
-- channel results per image, m_last = '1'; or, serial, one beat per channel result as
-- it leaves the divide pipeline (channel 0 first, m_last on the last; no result bank,
-- for a network whose GAP feeds the byte output straight). Divide steps per channel
-- (s = sum), one register after each:
--   1. c = clamp(s, LO, HI)          2. k = c*A + B (>= 0)
--   3. k*ML and k*MH (M = MH*2**H + ML: the constant product in two halves)
--   4. p = k*MH*2**H + k*ML = k*M
--   5. q0 = (p >> S) - K0, tie = (p mod 2**S) < M
--   6. q = q0 - 1 if tie and q0 odd (clears bit 0), sat8 -> result shift register.
-- One enable (adv) moves the drain, pipeline and result register together; it is low only
-- while a finished, unread result would be overwritten (backpressure safe).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_gap is
  generic (
    G_CFG : pcnn_gap_cfg_t -- channels, pixels and divide constants (see pcnn_pkg)
  );
  port (
    -- clock and synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input stream: one pixel (ch bytes, channel c in bits 8c+7 downto 8c) per beat
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CFG.ch * 8 - 1 downto 0);
    -- output stream: the ch int8 averages of one image per beat, m_last always '1'
    -- (serial: one channel result per 8-bit beat, m_last on the image's last channel)
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(pcnn_gap_out_ch(G_CFG) * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_gap;

architecture rtl of pcnn_gap is
  constant C_CH       : positive := G_CFG.ch;
  constant C_PIXELS   : positive := G_CFG.pixels;
  constant C_ACC_BITS : positive := G_CFG.acc_bits;
  constant C_K_BITS   : positive := G_CFG.k_bits;
  constant C_M_BITS   : positive := G_CFG.m_bits;
  constant C_SHIFT    : positive := G_CFG.shift;
  constant C_BANKED   : boolean  := G_CFG.banked;
  -- results kept for the output beat: all channels, or one (serial)
  constant C_OUT      : positive := pcnn_gap_out_ch(G_CFG);
  constant C_P_BITS   : positive := C_K_BITS + C_M_BITS;
  -- M's low half: bits H-1 .. 0 (ML), and the rest (MH)
  constant C_H        : natural  := C_M_BITS / 2;
  constant C_ML       : natural  := G_CFG.mul_m mod 2 ** C_H;
  constant C_MH       : natural  := G_CFG.mul_m / 2 ** C_H;
  -- k = c*A + B fits C_T_BITS signed, q0 = (p >> S) - K0 fits C_Q_BITS signed
  constant C_A_BITS : positive := pcnn_ubits(G_CFG.mul_a) + 1;
  constant C_T_BITS : positive := pcnn_max(C_ACC_BITS + C_A_BITS, pcnn_ubits(G_CFG.add_b) + 1) + 1;
  constant C_Q_BITS : positive :=
    pcnn_max(pcnn_max(C_P_BITS - C_SHIFT, pcnn_ubits(G_CFG.k0)), 8) + 2;
  -- the bits above bit 7 of an in-range q (all equal to its sign)
  constant C_HI_ZERO : signed(C_Q_BITS - 8 downto 0) := (others => '0');
  constant C_HI_ONES : signed(C_Q_BITS - 8 downto 0) := (others => '1');

  type acc_array_t is array (0 to C_CH - 1) of signed(C_ACC_BITS - 1 downto 0);
  type word_array_t is array (0 to C_OUT - 1) of std_logic_vector(7 downto 0);

  -- input register (one pixel; banked form only) and the pixel summed
  signal x_r       : std_logic_vector(C_CH * 8 - 1 downto 0) := (others => '0');
  signal x_vld     : std_logic := '0';
  signal px        : std_logic_vector(C_CH * 8 - 1 downto 0);
  -- accumulation
  signal acc       : acc_array_t := (others => (others => '0'));
  signal pix_cnt   : natural range 0 to C_PIXELS - 1 := 0;
  signal acc_rdy   : std_logic;
  signal take      : std_logic;
  -- bank of finished sums (banked form), drained one channel per clock from bank(0);
  -- bank_busy: sums draining (from the bank, or in place from acc)
  signal bank      : acc_array_t := (others => (others => '0'));
  signal bank_busy : std_logic := '0';
  signal bank_cnt  : natural range 0 to C_CH - 1 := 0;
  -- divide pipeline: the value after each step
  signal c_r       : signed(C_ACC_BITS - 1 downto 0) := (others => '0');
  signal k_r       : unsigned(C_K_BITS - 1 downto 0) := (others => '0');
  signal pl_r      : unsigned(C_P_BITS - 1 downto 0) := (others => '0');
  signal ph_r      : unsigned(C_P_BITS - 1 downto 0) := (others => '0');
  signal p_r       : unsigned(C_P_BITS - 1 downto 0) := (others => '0');
  signal q_r       : signed(C_Q_BITS - 1 downto 0) := (others => '0');
  signal tie_r     : std_logic := '0';
  -- and the valid flag after each step
  signal c_v, k_v, h_v, p_v, q_v : std_logic := '0';
  -- results
  signal res       : word_array_t := (others => (others => '0'));
  signal res_cnt   : natural range 0 to C_CH - 1 := 0;
  signal res_vld   : std_logic := '0';
  signal res_last  : std_logic := '0';
  signal adv       : std_logic;

  -- step 1: clamp to the range outside which the result saturates anyway; the
  -- comparisons as gates (pcnn_lt_g: no carry chain before the choice)
  function clamp(s : signed) return signed is
    constant C_LO : signed(C_ACC_BITS - 1 downto 0) := to_signed(G_CFG.clamp_lo, C_ACC_BITS);
    constant C_HI : signed(C_ACC_BITS - 1 downto 0) := to_signed(G_CFG.clamp_hi, C_ACC_BITS);
  begin
    if not pcnn_lt_g(C_LO, s) then
      return C_LO;
    elsif not pcnn_lt_g(s, C_HI) then
      return C_HI;
    end if;
    return s;
  end function;

  -- step 2: k = c * A + B (non-negative)
  function scale(c : signed) return unsigned is
    variable t : signed(C_T_BITS - 1 downto 0);
  begin
    t := resize(c * to_signed(G_CFG.mul_a, C_A_BITS), C_T_BITS) + to_signed(G_CFG.add_b, C_T_BITS);
    return resize(unsigned(t), C_K_BITS);
  end function;

  -- step 5: round half to even on a tie (q0 odd -> q0 - 1 = q0 with bit 0 cleared), then
  -- sat8 as pcnn_sat8 does it, written out here: a call would renumber GHDL's netlist
  -- and so move the measured resource and fmax figures (README)
  function finish(q0 : signed; tie : std_logic) return std_logic_vector is
    variable q : signed(C_Q_BITS - 1 downto 0);
  begin
    q := q0;
    if tie = '1' then
      q(0) := '0';
    end if;
    if q(C_Q_BITS - 1 downto 7) = C_HI_ZERO or q(C_Q_BITS - 1 downto 7) = C_HI_ONES then
      return std_logic_vector(q(7 downto 0));
    elsif q(C_Q_BITS - 1) = '1' then
      return std_logic_vector(to_signed(-128, 8));
    end if;
    return std_logic_vector(to_signed(127, 8));
  end function;
begin
  -- the last pixel of an image needs a free bank for the finished sums
  acc_rdy <= '1' when pix_cnt /= C_PIXELS - 1 or bank_busy = '0' else '0';
  -- in place: a pixel is summed as it arrives, unless the sums drain
  take    <= (x_vld and acc_rdy) when C_BANKED else (s_valid and not bank_busy);
  px      <= x_r when C_BANKED else s_data;
  -- bank, divide pipeline and results move unless an unread result would be overwritten
  adv     <= '1' when res_vld = '0' or m_ready = '1' else '0';

  process (clk)
    variable x   : signed(C_ACC_BITS - 1 downto 0);
    variable sum : signed(C_ACC_BITS - 1 downto 0);
  begin
    if rising_edge(clk) then
      if rst = '1' then
        x_vld     <= '0';
        pix_cnt   <= 0;
        bank_busy <= '0';
        bank_cnt  <= 0;
        c_v       <= '0';
        k_v       <= '0';
        h_v       <= '0';
        p_v       <= '0';
        q_v       <= '0';
        res_cnt   <= 0;
        res_vld   <= '0';
      else
        -- input register
        if C_BANKED and (x_vld = '0' or acc_rdy = '1') then
          x_vld <= s_valid;
          if s_valid = '1' then
            x_r <= s_data;
          end if;
        end if;

        -- divide pipeline
        if m_ready = '1' then
          res_vld <= '0';
        end if;
        if adv = '1' then
          c_v <= bank_busy;
          if bank_busy = '1' and C_BANKED then
            c_r <= clamp(bank(0));
            for c in 0 to C_CH - 2 loop
              bank(c) <= bank(c + 1);
            end loop;
          elsif bank_busy = '1' then
            c_r <= clamp(acc(0));
            for c in 0 to C_CH - 2 loop
              acc(c) <= acc(c + 1);
            end loop;
          end if;
          if bank_busy = '1' then
            if bank_cnt = C_CH - 1 then
              bank_cnt  <= 0;
              bank_busy <= '0';
            else
              bank_cnt <= bank_cnt + 1;
            end if;
          end if;
          k_v <= c_v;
          k_r <= scale(c_r);
          h_v  <= k_v;
          pl_r <= resize(k_r * to_unsigned(C_ML, C_M_BITS), C_P_BITS);
          ph_r <= resize(k_r * to_unsigned(C_MH, C_M_BITS), C_P_BITS);
          p_v  <= h_v;
          p_r  <= shift_left(ph_r, C_H) + pl_r;
          q_v <= p_v;
          q_r <= signed(resize(p_r(C_P_BITS - 1 downto C_SHIFT), C_Q_BITS))
            - to_signed(G_CFG.k0, C_Q_BITS);
          if p_r(C_SHIFT - 1 downto 0) < to_unsigned(G_CFG.mul_m, C_SHIFT + C_M_BITS) then
            tie_r <= '1';
          else
            tie_r <= '0';
          end if;
          if q_v = '1' then
            for c in 0 to C_OUT - 2 loop
              res(c) <= res(c + 1);
            end loop;
            res(C_OUT - 1) <= finish(q_r, tie_r);
            res_last       <= '0';
            if res_cnt = C_CH - 1 then
              res_cnt  <= 0;
              res_vld  <= '1';
              res_last <= '1';
            else
              res_cnt <= res_cnt + 1;
            end if;
            if G_CFG.serial then
              res_vld <= '1';
            end if;
          end if;
        end if;

        -- accumulation of the pixel (the first of an image starts the sums afresh); the
        -- last one loads the (free) bank or starts the drain in place
        if take = '1' then
          for c in 0 to C_CH - 1 loop
            x := resize(signed(px(8 * c + 7 downto 8 * c)), C_ACC_BITS);
            if pix_cnt = 0 then
              sum := x;
            else
              sum := acc(c) + x;
            end if;
            acc(c) <= sum;
            if C_BANKED and pix_cnt = C_PIXELS - 1 then
              bank(c) <= sum;
            end if;
          end loop;
          if pix_cnt = C_PIXELS - 1 then
            pix_cnt   <= 0;
            bank_busy <= '1';
          else
            pix_cnt <= pix_cnt + 1;
          end if;
        end if;
      end if;
    end if;
  end process;

  s_ready <= (not x_vld or acc_rdy) when C_BANKED else not bank_busy;
  m_valid <= res_vld;
  m_last  <= res_last when G_CFG.serial else '1';
  g_pack : for c in 0 to C_OUT - 1 generate
    m_data(8 * c + 7 downto 8 * c) <= res(c);
  end generate g_pack;
end architecture rtl;
